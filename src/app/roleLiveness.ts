import type { HeartbeatStore, RoleHeartbeat } from './ports/heartbeatStore.js';

// Which instances of each role are alive, from the heartbeats: the views /health lists and the words it uses.

/** One live instance of a role, as /health lists it. */
export interface RoleInstanceView {
  instance_id: string;
  host: string;
  pid: number;
  version: string;
  started_at: string;
  last_seen: string;
  /** This very process. */
  here: boolean;
}

/** Per role: whether some instance anywhere is alive (heartbeat within HEARTBEAT_STALE_SECONDS), and which. */
export interface RoleLiveness {
  alive: boolean;
  instances: RoleInstanceView[];
  /** When none is alive: when one was last seen (within the last day), if ever. */
  last_seen?: string;
}

/** What the status service reads heartbeats with, and which roles a deployment is expected to run. */
export interface HeartbeatView {
  store: Pick<HeartbeatStore, 'recent'>;
  staleMs: number;
  /** This process's instance id. */
  instanceId: string;
  /** Roles some process must run (the worker only in Kafka mode). */
  expected: readonly string[];
}

/** Heartbeats older than this are not listed at all (the store forgets them after a day). */
export const LAST_SEEN_WINDOW_MS = 86_400_000;

export const instanceView = (h: RoleHeartbeat, hb: HeartbeatView): RoleInstanceView => ({
  instance_id: h.instanceId,
  host: h.host,
  pid: h.pid,
  version: h.version,
  started_at: h.startedAt.toISOString(),
  last_seen: h.lastSeen.toISOString(),
  here: h.instanceId === hb.instanceId,
});

export const describe = (i: RoleInstanceView) =>
  `${i.here ? 'this process' : `${i.host} pid ${i.pid}`} (instance ${i.instance_id}, ${i.version})`;

export const missing = (role: string, l: RoleLiveness, staleMs: number) =>
  `no live ${role} instance (none seen in the last ${Math.round(staleMs / 1000)} s` +
  `${l.last_seen ? `; last seen ${l.last_seen}` : ''}): start one with escrow serve --roles ${role}`;
