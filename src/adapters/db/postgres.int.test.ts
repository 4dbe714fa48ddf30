/**
 * Issue 10 §3: node-postgres faults become the port's DatabaseUnavailableError (never an unhandled 'error' event that
 * ends the process), the pool's wait is bounded, and an outage is told once when it starts and once when it ends.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatabaseUnavailableError } from '../../app/ports/databaseUnavailable.js';
import { missing } from '../../../test/services.js';
import type { AvailabilityChange, Database } from './database.js';
import { isInfrastructureError } from './database.js';
import { openPostgres } from './postgres.js';

const skip = missing(['postgres']);
const url = process.env.TEST_DATABASE_URL ?? '';

describe('node-postgres faults', () => {
  let db: Database;
  const changes: AvailabilityChange[] = [];
  before(async () => {
    if (skip) return;
    db = await openPostgres({ url, poolSize: 2, connectionTimeoutMs: 300, statementTimeoutMs: 500 });
    db.onAvailability?.((c) => changes.push(c));
  });
  after(async () => {
    await db?.close();
  });

  it(
    'a connection killed inside a transaction fails that transaction only, and the outage is told once',
    { skip },
    async () => {
      const killed = db.transaction((tx) => tx.query('SELECT pg_terminate_backend(pg_backend_pid())'));
      await assert.rejects(killed, (err: unknown) => {
        assert.ok(err instanceof DatabaseUnavailableError, String(err));
        assert.equal(err.reason, 'unreachable');
        assert.ok(isInfrastructureError(err));
        return true;
      });
      assert.deepEqual(
        changes.map((c) => c.available),
        [false],
      );
      // The broken connection was not put back: the next transactions work, and one past the settling second (a
      // dying server may still answer on some connections) ends the outage.
      for (let i = 0; i < 100 && changes.length < 2; i++) {
        assert.equal((await db.transaction((tx) => tx.query<{ one: number }>('SELECT 1 AS one'))).rows[0]!.one, 1);
        await sleep(50);
      }
      assert.deepEqual(
        changes.map((c) => c.available),
        [false, true],
      );
      assert.ok((changes[1]!.outageMs ?? -1) >= 1000);
    },
  );

  it(
    'every pooled connection taken: a caller waits the pool timeout, then gets "busy" (not a hang)',
    { skip },
    async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const holders = [1, 2].map(() => db.transaction(() => gate));
      try {
        await assert.rejects(db.query('SELECT 1'), (err: unknown) => {
          assert.ok(err instanceof DatabaseUnavailableError, String(err));
          assert.equal(err.reason, 'busy');
          return true;
        });
      } finally {
        release();
        await Promise.all(holders);
      }
      assert.equal(changes.length, 2, 'a full pool is not an outage');
    },
  );

  it('a statement past the statement timeout is "timeout"', { skip }, async () => {
    await assert.rejects(db.query('SELECT pg_sleep(2)'), (err: unknown) => {
      assert.ok(err instanceof DatabaseUnavailableError, String(err));
      assert.equal(err.reason, 'timeout');
      return true;
    });
  });

  it("an answer (a syntax error) stays the driver's error", { skip }, async () => {
    await assert.rejects(db.query('SELEC 1'), (err: unknown) => {
      assert.ok(!(err instanceof DatabaseUnavailableError));
      assert.equal((err as { code?: string }).code, '42601');
      return true;
    });
  });
});
