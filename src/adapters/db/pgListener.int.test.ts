import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { missing } from '../../../test/services.js';
import type { Database } from './database.js';
import { openPostgres } from './postgres.js';

// One LISTEN connection per process for every channel (the outbox, outcomes, pause, blacklist, revoked tokens): it
// is opened by the first subscription and closed with the last, fans notifications out per channel, and after being
// terminated reconnects, LISTENs on every channel again and tells every subscriber to poll once.

const skip = missing(['postgres']);
const url = process.env.TEST_DATABASE_URL ?? '';

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('PgNotifications: one connection for every LISTEN of a process', { skip }, () => {
  let db: Database;
  let probe: Database;
  const app = `listen-test-${process.pid}`;
  before(async () => {
    const named = new URL(url);
    named.searchParams.set('application_name', app);
    db = await openPostgres({ url: named.toString(), poolSize: 1, connectionTimeoutMs: 5_000 });
    probe = await openPostgres({ url, poolSize: 1, connectionTimeoutMs: 5_000 });
  });
  after(async () => {
    await db?.close();
    await probe?.close();
  });

  /** The listening connections of `db`: not its pool's (those ran no LISTEN). */
  const listeners = async () =>
    (
      await probe.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query ~ '^(UN)?LISTEN '`,
        [app],
      )
    ).rows.map((r) => r.pid);
  const notify = (channel: string, payload: string) => probe.query('SELECT pg_notify($1, $2)', [channel, payload]);

  it('fans out per channel on one connection, UNLISTENs an empty channel and closes with the last one', async () => {
    const got: string[] = [];
    const offA1 = await db.listen('test_a', (p) => got.push(`a1:${p}`));
    const offA2 = await db.listen('test_a', (p) => got.push(`a2:${p}`));
    const offB = await db.listen('test_b', (p) => got.push(`b:${p}`));
    assert.equal((await listeners()).length, 1, 'three subscriptions, two channels, one connection');
    await notify('test_a', 'x');
    await notify('test_b', 'y');
    await until('both notifications', () => (got.length === 3 ? true : undefined));
    assert.deepEqual(got.sort(), ['a1:x', 'a2:x', 'b:y']);

    await offA1();
    await offA1(); // twice: nothing more
    await notify('test_a', 'z');
    await until('the second', () => (got.includes('a2:z') ? true : undefined));
    assert.ok(!got.includes('a1:z'), 'an unsubscribed listener hears nothing');
    await offA2();
    await notify('test_a', 'gone');
    await notify('test_b', 'still');
    await until('b to hear', () => (got.includes('b:still') ? true : undefined));
    assert.ok(!got.some((g) => g.endsWith(':gone')), 'test_a has no listener left');
    await offB();
    await until('the connection to close', async () => ((await listeners()).length === 0 ? true : undefined));
  });

  it('terminated, it reconnects, LISTENs on every channel and tells every subscriber to poll', async () => {
    const got: string[] = [];
    const polled: string[] = [];
    const offA = await db.listen('test_a', (p) => got.push(`a:${p}`), { onReconnect: () => polled.push('a') });
    const offB = await db.listen('test_b', (p) => got.push(`b:${p}`), { onReconnect: () => polled.push('b') });
    const [old] = await listeners();
    assert.ok(old);
    await probe.query('SELECT pg_terminate_backend($1)', [old]);
    await until('the reconnect', () => (polled.length === 2 ? true : undefined));
    assert.deepEqual(polled.sort(), ['a', 'b']);
    const now = await listeners();
    assert.equal(now.length, 1);
    assert.notEqual(now[0], old);
    await notify('test_a', '1');
    await notify('test_b', '2');
    await until('both after the reconnect', () => (got.length === 2 ? true : undefined));
    assert.deepEqual(got.sort(), ['a:1', 'b:2']);
    await offA();
    await offB();
  });
});
