/** Issue 10 §5: statements over SLOW_QUERY_MS are reported with their duration and first words, never parameters. */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../config/index.js';
import { createEngine } from '../../main.js';
import type { Database } from './database.js';
import { openPglite } from './pglite.js';
import { statementHead, withSlowQueryLog, type SlowQuery } from './slowQueries.js';

describe('slow query log', () => {
  let base: Database;
  before(async () => {
    base = await openPglite('memory://');
  });
  after(async () => {
    await base.close();
  });

  it('a statement at or over the threshold is reported, its parameters never', async () => {
    const slow: SlowQuery[] = [];
    const db = withSlowQueryLog(base, 50, (q) => slow.push(q));
    await db.query('SELECT pg_sleep(0.08), $1::text AS email', ['buyer@example.com']);
    await db.query('SELECT 1');
    assert.equal(slow.length, 1, JSON.stringify(slow));
    assert.equal(slow[0]!.statement, 'SELECT pg_sleep(0.08), $1::text AS email');
    assert.ok(slow[0]!.duration_ms >= 50);
    assert.doesNotMatch(JSON.stringify(slow), /buyer@example\.com/);
  });

  it('inside a transaction each statement is measured, and a failed one says so', async () => {
    const slow: SlowQuery[] = [];
    const db = withSlowQueryLog(base, 50, (q) => slow.push(q));
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query('SELECT pg_sleep(0.06)');
        await tx.exec("DO $$ BEGIN PERFORM pg_sleep(0.06); RAISE EXCEPTION 'boom'; END $$");
      }),
    );
    assert.deepEqual(
      slow.map((s) => [s.statement, s.failed ?? false]),
      [
        ['SELECT pg_sleep(0.06)', false],
        ["DO $$ BEGIN PERFORM pg_sleep(0.06); RAISE EXCEPTION 'boom'; …", true],
      ],
    );
  });

  it('a long statement is cut to its first words', () => {
    assert.equal(
      statementHead(`INSERT INTO escrows (id, offer_id, buyer_id, seller_id, amount)\n   VALUES ($1, $2, $3, $4, $5)`),
      'INSERT INTO escrows (id, offer_id, buyer_id, seller_id, amount) …',
    );
  });

  it('the engine logs "slow query" at warn past SLOW_QUERY_MS (validated)', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const config = loadConfig({ NODE_ENV: 'test', SLOW_QUERY_MS: '20' });
    const engine = await createEngine(config, { db: base, logger: pino({ level: 'info' }, sink), migrate: false });
    try {
      await engine.db.query('SELECT pg_sleep(0.05), $1::text', ['personal data']);
    } finally {
      await engine.stop();
    }
    const slow = lines.filter((l) => l.msg === 'slow query');
    assert.equal(slow.length, 1, JSON.stringify(lines));
    assert.equal(slow[0]!.level, 40, 'at warn');
    assert.equal(slow[0]!.statement, 'SELECT pg_sleep(0.05), $1::text');
    assert.equal(typeof slow[0]!.duration_ms, 'number');
    assert.doesNotMatch(JSON.stringify(lines), /personal data/);
    assert.throws(() => loadConfig({ SLOW_QUERY_MS: 'soon' }), /SLOW_QUERY_MS/);
  });
});
