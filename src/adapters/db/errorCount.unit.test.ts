import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DatabaseUnavailableError } from '../../app/ports/databaseUnavailable.js';
import type { Database } from './database.js';
import { databaseErrorKind, withErrorCount, type DatabaseErrorKind } from './errorCount.js';

const pg = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('db_errors_total: what counts as a database error, and once', () => {
  it('classifies driver failures; a domain refusal thrown in a transaction is not one', () => {
    assert.equal(databaseErrorKind(pg('57014')), 'timeout');
    assert.equal(databaseErrorKind(pg('53300')), 'busy');
    assert.equal(databaseErrorKind(pg('ECONNREFUSED')), 'unreachable');
    assert.equal(databaseErrorKind(new DatabaseUnavailableError('busy', 'no connection', undefined)), 'busy');
    assert.equal(databaseErrorKind(pg('23505')), 'other');
    assert.equal(databaseErrorKind(pg('ES002')), 'other');
    assert.equal(databaseErrorKind(pg('VERSION_CONFLICT')), null);
    assert.equal(databaseErrorKind(new Error('plain')), null);
  });

  it('counts a failed statement once, and a failed transaction once (not its statement again)', async () => {
    const seen: DatabaseErrorKind[] = [];
    const fail = () => Promise.reject(pg('57014'));
    const inner = {
      kind: 'pglite',
      query: fail,
      exec: fail,
      transaction: <T>(fn: (tx: Database) => Promise<T>) => fn(inner),
    } as unknown as Database;
    const db = withErrorCount(inner, (k) => seen.push(k));
    await assert.rejects(db.query('SELECT 1'));
    await assert.rejects(db.exec('SELECT 1'));
    await assert.rejects(db.transaction((tx) => tx.query('SELECT 1')));
    await assert.rejects(
      db.transaction(() => Promise.reject(pg('VERSION_CONFLICT'))),
      (e: Error) => e.message === 'x',
    );
    assert.deepEqual(seen, ['timeout', 'timeout', 'timeout']);
  });
});
