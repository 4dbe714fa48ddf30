import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DomainError, type Actor } from '../domain/index.js';
import { MemoryPauseStore } from './memoryPause.kit.js';
import { MAINTENANCE_MODE_ACTOR, PauseService, type PauseStatus } from './pause.js';
import { PAUSE_MAX_AGE_MS, PauseState } from './pauseState.js';

assert.equal(PAUSE_MAX_AGE_MS, 2_000, 'the advertised delay (README, docs/operations.md) is 2 s');

const admin: Actor = { id: 'ops-alice', role: 'admin' };
const bob: Actor = { id: 'ops-bob', role: 'admin' };
const T0 = Date.parse('2026-12-02T10:00:00.000Z');

/** Polls `ok` every few milliseconds, failing after 5 s (a timer or a read crosses the event loop). */
async function until(what: string, ok: () => boolean): Promise<void> {
  const end = Date.now() + 5_000;
  while (!ok()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const rejectsWith = (p: Promise<unknown>, code: string, field?: string) =>
  assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof DomainError, String(err));
    assert.equal(err.code, code);
    if (field) assert.equal(err.details.errors?.[0]?.field, field);
    return true;
  });

describe('PauseService: pause, resume, status, dry runs', () => {
  let store: MemoryPauseStore;
  let service: PauseService;
  let ids: number;
  beforeEach(() => {
    store = new MemoryPauseStore();
    ids = 0;
    service = new PauseService({
      store,
      clock: { now: () => new Date(T0) },
      newId: () => `0190f0c8-0000-7000-8000-${String(++ids).padStart(12, '0')}`,
    });
  });

  it('all pauses both scopes with who, when and why, audited once; pausing again keeps the first pause', async () => {
    const first = await service.pause(admin, { scope: 'all', reason: '  RB-05 suspected exploit  ' });
    assert.deepEqual(
      first.changed.map((p) => [p.scope, p.setBy, p.setRole, p.setAt, p.reason]),
      [
        ['payouts', 'ops-alice', 'admin', '2026-12-02T10:00:00.000Z', 'RB-05 suspected exploit'],
        ['intake', 'ops-alice', 'admin', '2026-12-02T10:00:00.000Z', 'RB-05 suspected exploit'],
      ],
    );
    assert.equal(first.status.paused, true);
    const again = await service.pause(bob, { scope: 'payouts', reason: 'me too' });
    assert.deepEqual(again.changed, []);
    assert.equal(again.status.payouts?.setBy, 'ops-alice', 'the first pause stands');
    assert.deepEqual(store.audit, [{ action: 'pause.set', actorId: 'ops-alice', reason: 'RB-05 suspected exploit' }]);
  });

  it('resume lifts every scope by default, keeps the rows with who lifted them and why', async () => {
    await service.pause(admin, { scope: 'all', reason: 'incident' });
    const lifted = await service.resume(bob, { reason: 'fixed' });
    assert.deepEqual(
      lifted.changed.map((p) => [p.scope, p.liftedBy, p.liftReason]),
      [
        ['payouts', 'ops-bob', 'fixed'],
        ['intake', 'ops-bob', 'fixed'],
      ],
    );
    assert.deepEqual(lifted.status, { paused: false, payouts: null, intake: null });
    assert.equal(store.rows.length, 2, 'history kept');
    assert.deepEqual((await service.resume(bob, { reason: 'again' })).changed, [], 'nothing left to lift');
    const report = await service.report(1);
    assert.equal(report.history.length, 1);
    assert.equal(report.paused, false);
  });

  it('a dry run says what would change and writes nothing', async () => {
    await service.pause(admin, { scope: 'intake', reason: 'gateway down' });
    const [writes, rows] = [store.writes, JSON.stringify(store.rows)];
    const pause = await service.pause(bob, { scope: 'all', reason: 'exploit', dryRun: true });
    assert.equal(pause.dryRun, true);
    assert.deepEqual(
      pause.changed.map((p) => [p.scope, p.setBy]),
      [['payouts', 'ops-bob']],
    );
    assert.equal(pause.status.intake?.setBy, 'ops-alice');
    const resume = await service.resume(bob, { scope: 'intake', reason: 'back', dryRun: true });
    assert.deepEqual(
      resume.changed.map((p) => [p.scope, p.liftedBy, p.liftReason]),
      [['intake', 'ops-bob', 'back']],
    );
    assert.deepEqual(resume.status, { paused: false, payouts: null, intake: null });
    assert.equal(store.writes, writes);
    assert.equal(JSON.stringify(store.rows), rows);
    assert.equal(store.audit.length, 1);
  });

  it('refuses a bad scope, a missing or unstorable reason, a bad limit, and anyone but an admin', async () => {
    await rejectsWith(service.pause(admin, { scope: 'everything', reason: 'x' }), 'VALIDATION_ERROR', 'scope');
    await rejectsWith(service.pause(admin, { scope: 'all', reason: '   ' }), 'VALIDATION_ERROR', 'reason');
    await rejectsWith(service.pause(admin, { scope: 'all', reason: 'x'.repeat(501) }), 'VALIDATION_ERROR', 'reason');
    await rejectsWith(service.pause(admin, { scope: 'all', reason: 'a\u0000b' }), 'VALIDATION_ERROR', 'reason');
    await rejectsWith(service.resume(admin, { scope: 'some', reason: 'x' }), 'VALIDATION_ERROR', 'scope');
    await rejectsWith(service.report(0), 'VALIDATION_ERROR', 'limit');
    await rejectsWith(service.pause({ id: 'u', role: 'user' }, { scope: 'all', reason: 'x' }), 'FORBIDDEN');
    await rejectsWith(service.resume({ id: 's', role: 'service' }, { reason: 'x' }), 'FORBIDDEN');
    const system = await service.pause(MAINTENANCE_MODE_ACTOR, { scope: 'all', reason: 'MAINTENANCE_MODE=true' });
    assert.equal(system.changed[0]?.setBy, 'system:MAINTENANCE_MODE');
    assert.equal(store.writes, 1);
  });
});

describe('PauseState: the pauses in force in memory, kept by NOTIFY, bounded by PAUSE_MAX_AGE_MS', () => {
  let store: MemoryPauseStore;
  let mono: number;
  const stops: (() => Promise<void>)[] = [];
  const make = (opts: { maxAgeMs?: number; onError?: (err: unknown) => void } = {}) => {
    // a long max age unless a test is about the timer: its reads must not interleave with the test's own
    const state = new PauseState(store, { now: () => mono, maxAgeMs: 60_000, ...opts });
    const service = new PauseService({ store, clock: { now: () => new Date(T0) }, state });
    return { state, service };
  };
  /** Another replica's pause: the row, and its notification unless the store is silent. */
  const elsewhere = (scopes: ('payouts' | 'intake')[]) =>
    store.pause({
      ids: scopes.map((_, i) => `0190f0c8-0000-7000-8000-00000000010${i}`),
      scopes,
      reason: 'from another replica',
      actor: bob,
      at: '2026-12-02T10:01:00.000Z',
    });
  beforeEach(async () => {
    for (const stop of stops.splice(0)) await stop();
    store = new MemoryPauseStore();
    mono = 0;
  });

  it('before watch() a check asks the store; once watching, checks read memory only', async () => {
    const { service } = make();
    await service.pause(admin, { scope: 'payouts', reason: 'incident' });
    assert.equal(service.current('payouts'), null, 'nothing held before watch()');
    assert.equal(await service.paused('payouts'), true);
    const reads = store.reads;
    stops.push(await service.watch());
    assert.equal(store.reads, reads + 1, 'watch() reads once');
    for (let i = 0; i < 100; i++) assert.equal(service.current('payouts')?.reason, 'incident');
    assert.equal(await service.paused('intake'), false);
    assert.equal(store.reads, reads + 1, 'no query per check');
  });

  it('a change here applies before its answer; one elsewhere on its notification; listeners hear each once', async () => {
    const { service } = make();
    stops.push(await service.watch());
    const heard: PauseStatus[] = [];
    service.onChange((s) => heard.push(s));
    await service.pause(admin, { scope: 'intake', reason: 'gateway down' });
    assert.equal(service.current('intake')?.setBy, 'ops-alice', 'at once in this process');
    // another replica's lift: the row changes, then its NOTIFY arrives
    store.rows[0]!.liftedAt = '2026-12-02T10:05:00.000Z';
    Object.assign(store.rows[0]!, { liftedBy: 'ops-bob', liftReason: 'back' });
    store.notify();
    await until('the lift to apply', () => service.current('intake') === null);
    assert.deepEqual(
      heard.map((s) => s.paused),
      [true, false],
    );
  });

  it('a lost notification: a check of a state older than the max age reads it again', async () => {
    const { service } = make();
    stops.push(await service.watch());
    store.silent = true;
    await elsewhere(['payouts', 'intake']);
    mono = 59_999;
    assert.equal(service.current('payouts'), null, 'within the max age: memory as it was');
    mono = 60_000;
    service.current('payouts'); // stale: read again behind this check
    await until('the reread', () => service.current('payouts') !== null);
    assert.equal(service.current('intake')?.setBy, 'ops-bob');
  });

  it('a lost notification in a process that checks nothing: the timer reads it again within the max age', async () => {
    const { service } = make({ maxAgeMs: 40 });
    stops.push(await service.watch());
    store.silent = true;
    await elsewhere(['payouts']);
    // no check triggers it: only the timer (every maxAge / 2) can
    const reads = store.reads;
    await until('the timer to read again', () => store.reads > reads);
    await until('the pause to apply', () => service.current('payouts') !== null);
  });

  it('a read that started before a change never undoes it, whatever order the answers come in', async () => {
    const { service } = make();
    stops.push(await service.watch());
    store.hold();
    store.notify(); // read 0: starts now, sees nothing paused
    await elsewhere(['payouts']);
    // its notification started read 1, which sees the pause; read 1 answers first, then the older read 0
    await store.release([1, 0]);
    assert.equal(service.current('payouts')?.setBy, 'ops-bob');
  });

  it('a failing read keeps the last state and is told once per streak; unwatching stops reading', async () => {
    const errors: unknown[] = [];
    const { service } = make({ maxAgeMs: 40, onError: (err) => errors.push(err) });
    const stop = await service.watch();
    await service.pause(admin, { scope: 'payouts', reason: 'incident' });
    store.failWith = new Error('database unreachable');
    const reads = store.reads;
    await until('two failed reads', () => store.reads >= reads + 2);
    assert.equal(service.current('payouts')?.reason, 'incident', 'kept while the database is down');
    assert.equal(errors.length, 1);
    await stop();
    assert.equal(store.watchers, 0);
    const after = store.reads;
    await sleep(100);
    assert.equal(store.reads, after, 'no timer left behind');
  });
});
