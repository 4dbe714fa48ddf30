/**
 * Issue 10 §3/§5: a database that is not there at start is one line an operator can act on (host, port, database,
 * what to check), and a non-zero exit, instead of a stack.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TEST_JWT_SECRET } from './httpHarness.js';
import { freePort, runCli } from './processHarness.js';
import { missing } from './services.js';

const lines = (out: string) => out.split('\n').filter((l) => l.trim() !== '');

describe('serve with a database that is not there', () => {
  it('a refused connection: one line naming host, port and database, with a hint; exit 1', async () => {
    const port = await freePort(); // nothing listens there
    const { code, out } = await runCli(['serve', '--roles', 'api'], {
      DATABASE_URL: `postgres://escrow:secret-pw@127.0.0.1:${port}/escrow`,
      JWT_SECRET: TEST_JWT_SECRET,
      PORT: '0',
    });
    assert.equal(code, 1, out);
    assert.deepEqual(lines(out).length, 1, out);
    assert.match(out, new RegExp(`cannot open PostgreSQL at 127\\.0\\.0\\.1:${port}, database "escrow"`));
    assert.match(out, /is PostgreSQL running and reachable there\? check DATABASE_URL/);
    assert.doesNotMatch(out, /secret-pw/, 'the password is never printed');
  });

  it('a missing database: one line saying it does not exist; exit 1', { skip: missing(['postgres']) }, async () => {
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.pathname = '/escrow_no_such_database';
    const { code, out } = await runCli(['migrate'], { DATABASE_URL: url.toString(), JWT_SECRET: TEST_JWT_SECRET });
    assert.equal(code, 1, out);
    assert.deepEqual(lines(out).length, 1, out);
    assert.match(out, /database "escrow_no_such_database" does not exist — create it/);
  });
});
