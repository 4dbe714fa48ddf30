import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** Who holds an embedded data directory: written when it is opened, completed once the API listens. */
export interface DataDirHolder {
  pid: number;
  hostname: string;
  startedAt: string;
  /** Set once the process knows them (after `serve` started its roles). */
  roles?: readonly string[];
  port?: number;
  /** Where its API answers (what the CLI talks to while it runs). */
  url?: string;
  /** Tells this process's own locks apart (a pid is reused, e.g. pid 1 in every container). */
  token: string;
}

/** A second opener: the directory is held by a live process. The message names it and says what to do. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: DataDirHolder,
  ) {
    super(lockedMessage(dataDir, holder));
    this.name = 'DataDirLockedError';
  }
}

export const LOCK_FILE = 'escrow.lock';

/** The locks this process holds, by data directory (a second open in the same process is refused too). */
const held = new Map<string, { path: string; holder: DataDirHolder }>();

const lockPath = (dataDir: string) => join(dataDir, LOCK_FILE);

/**
 * Takes the exclusive lock on `dataDir` (a lock file with the holder's pid, created atomically by link(2), which
 * fails when the file exists). A lock whose process is gone (killed, crashed) is taken over; one held by a live
 * process is refused at once with a DataDirLockedError. Released by `release`, and on process exit.
 */
export function acquireDataDirLock(dataDir: string): { release: () => void } {
  const path = lockPath(dataDir);
  const holder: DataDirHolder = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
    token: randomBytes(12).toString('hex'),
  };
  for (let attempt = 0; ; attempt++) {
    if (createExclusive(path, holder)) break;
    const current = readDataDirHolder(dataDir);
    if (current && isAlive(current)) throw new DataDirLockedError(dataDir, current);
    // Ours to take over (its process is gone); a few rounds when several openers race for the same stale lock.
    if (attempt >= 3) throw new Error(`cannot take over the stale lock ${path}; remove it if no process uses it`);
    breakStale(path);
  }
  held.set(dataDir, { path, holder });
  const onExit = () => releaseSync(dataDir, holder.token);
  process.once('exit', onExit);
  return {
    release: () => {
      process.removeListener('exit', onExit);
      releaseSync(dataDir, holder.token);
    },
  };
}

/** The holder record of `dataDir`'s lock, or null when nobody holds it (or the record cannot be read). */
export function readDataDirHolder(dataDir: string): DataDirHolder | null {
  try {
    const parsed = JSON.parse(readFileSync(lockPath(dataDir), 'utf8')) as DataDirHolder;
    return typeof parsed.pid === 'number' ? parsed : null;
  } catch {
    return null;
  }
}

/** The live process holding `dataDir`, or null when the directory is free (no lock, or a dead process's). */
export function liveDataDirHolder(dataDir: string): DataDirHolder | null {
  const holder = readDataDirHolder(dataDir);
  return holder && isAlive(holder) ? holder : null;
}

/** Completes this process's holder record once it knows its roles and where its API listens. */
export function announceDataDirHolder(
  dataDir: string,
  details: { roles: readonly string[]; port?: number; url?: string },
): void {
  const lock = held.get(dataDir);
  if (!lock) return;
  lock.holder = { ...lock.holder, ...details };
  // write-then-rename: a reader sees the old record or the new one, never half of one
  const tmp = `${lock.path}.${lock.holder.token}.tmp`;
  writeFileSync(tmp, JSON.stringify(lock.holder), { mode: 0o600 });
  renameSync(tmp, lock.path);
}

function createExclusive(path: string, holder: DataDirHolder): boolean {
  const tmp = `${path}.${holder.token}.tmp`;
  writeFileSync(tmp, JSON.stringify(holder), { mode: 0o600 });
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}

/**
 * Moves a dead process's lock aside. Another opener may have replaced it meanwhile (it judged it stale too, and
 * won): the file moved is then checked, and put back (link fails if yet another lock was created) if it is not the
 * one judged stale.
 */
function breakStale(path: string): void {
  let ino: number;
  try {
    ino = statSync(path).ino;
  } catch {
    return; // gone already: try to create it again
  }
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch {
    return;
  }
  if (statSync(aside).ino !== ino) {
    try {
      linkSync(aside, path);
    } catch {
      // a third opener holds it now; it will be found alive on the next round
    }
  }
  unlinkSync(aside);
}

/** A holder is alive if its process exists (on this host); on another host it cannot be checked, so it counts. */
function isAlive(holder: DataDirHolder): boolean {
  if (holder.hostname !== hostname()) return true;
  if (holder.pid === process.pid) {
    // this process: alive only if the lock is one it holds now (a pid reused after a crash is not)
    return [...held.values()].some((l) => l.holder.token === holder.token);
  }
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function releaseSync(dataDir: string, token: string): void {
  const lock = held.get(dataDir);
  if (lock?.holder.token !== token) return;
  held.delete(dataDir);
  if (readDataDirHolder(dataDir)?.token !== token) return; // never remove a lock this process no longer holds
  try {
    unlinkSync(lock.path);
  } catch {
    // already gone
  }
}

function lockedMessage(dataDir: string, h: DataDirHolder): string {
  const who = [
    `pid ${h.pid}${h.hostname !== hostname() ? ` on ${h.hostname}` : ''}`,
    h.roles ? `roles ${h.roles.join(',')}` : 'roles not started yet',
    ...(h.port !== undefined ? [`port ${h.port}`] : []),
    `started ${h.startedAt}`,
  ].join(', ');
  const elsewhere =
    h.hostname !== hostname() ? ` If no process on ${h.hostname} uses it any more, remove ${lockPath(dataDir)}.` : '';
  return (
    `the data directory ${dataDir} is in use by another process (${who}). ` +
    `Only one process may open it: stop that process first, or, while it runs the api role, run escrow CLI ` +
    `commands as usual (they go through its admin API).${elsewhere}`
  );
}
