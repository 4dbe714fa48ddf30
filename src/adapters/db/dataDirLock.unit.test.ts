import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  acquireDataDirLock,
  announceDataDirHolder,
  DataDirLockedError,
  LOCK_FILE,
  liveDataDirHolder,
  readDataDirHolder,
  type DataDirHolder,
} from './dataDirLock.js';

const root = mkdtempSync(join(tmpdir(), 'escrow-lock-'));
let n = 0;
const freshDir = () => {
  const dir = join(root, `d${++n}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

/** A pid that no process has any more: a child that has exited. */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '']).pid;

const plant = (dir: string, holder: Partial<DataDirHolder>) =>
  writeFileSync(
    join(dir, LOCK_FILE),
    JSON.stringify({ hostname: hostname(), startedAt: '2026-01-01T00:00:00.000Z', token: 'old', ...holder }),
  );

describe('data directory lock', () => {
  after(() => rmSync(root, { recursive: true, force: true }));

  it('a second opener is refused at once, naming the holder; released, the directory opens again', () => {
    const dir = freshDir();
    const lock = acquireDataDirLock(dir);
    announceDataDirHolder(dir, { roles: ['api', 'outbox'], port: 3300, url: 'http://127.0.0.1:3300' });
    const err = (() => {
      try {
        acquireDataDirLock(dir);
      } catch (e) {
        return e;
      }
      return null;
    })();
    assert.ok(err instanceof DataDirLockedError);
    assert.match(
      err.message,
      new RegExp(`in use by another process \\(pid ${process.pid}, roles api,outbox, port 3300`),
    );
    assert.match(err.message, /stop that process first/);
    assert.equal(liveDataDirHolder(dir)?.url, 'http://127.0.0.1:3300');
    lock.release();
    assert.equal(readDataDirHolder(dir), null, 'released: no lock file');
    acquireDataDirLock(dir).release();
    assert.deepEqual(readdirSync(dir), [], 'no temporary or stale files left');
  });

  it("a dead process's lock is taken over", () => {
    const dir = freshDir();
    plant(dir, { pid: deadPid(), roles: ['api'], port: 3000 });
    assert.equal(liveDataDirHolder(dir), null);
    const lock = acquireDataDirLock(dir);
    assert.equal(readDataDirHolder(dir)?.pid, process.pid);
    lock.release();
    assert.deepEqual(readdirSync(dir), []);
  });

  it("this process's pid on a lock it does not hold (a reused pid, pid 1 in a container) is stale", () => {
    const dir = freshDir();
    plant(dir, { pid: process.pid });
    const lock = acquireDataDirLock(dir);
    assert.notEqual(readDataDirHolder(dir)?.token, 'old');
    lock.release();
  });

  it('a lock held on another host cannot be checked: refused, saying when to remove it', () => {
    const dir = freshDir();
    plant(dir, { pid: deadPid(), hostname: 'other-host' });
    assert.throws(() => acquireDataDirLock(dir), /pid \d+ on other-host.*If no process on other-host uses it any more/);
  });

  it('a live process of another pid holds it', () => {
    const dir = freshDir();
    plant(dir, { pid: process.ppid });
    assert.throws(() => acquireDataDirLock(dir), DataDirLockedError);
  });
});
