/** One running process: what its heartbeat rows say about it. */
export interface ProcessInstance {
  instanceId: string;
  host: string;
  pid: number;
  version: string;
  startedAt: Date;
}

/** A role's heartbeat as read back: when it was last seen, by the database's clock. */
export interface RoleHeartbeat extends ProcessInstance {
  role: string;
  lastSeen: Date;
  /** Seconds since `lastSeen` (database clock). */
  ageSeconds: number;
}

/**
 * The roles each process runs, kept in the database so every process can tell which roles are alive anywhere, and
 * whether the owner of a lock or lease still runs. Times are the database's, so hosts' clocks need not agree.
 */
export interface HeartbeatStore {
  /** Records that `instance` runs `roles` now (inserts or refreshes one row per role). */
  beat(instance: ProcessInstance, roles: readonly string[]): Promise<void>;
  /** Deletes the instance's rows (a clean stop), or those of `roles` only. */
  remove(instanceId: string, roles?: readonly string[]): Promise<void>;
  /** Every heartbeat seen within `withinMs` (live and recently gone), newest first. */
  recent(withinMs: number): Promise<RoleHeartbeat[]>;
  /** Whether the instance has any heartbeat newer than `staleMs`. */
  isAlive(instanceId: string, staleMs: number): Promise<boolean>;
}

/** What a lock holder needs to know about the process that holds a lock: its id, and whether another one is alive. */
export interface Liveness {
  /** This process's instance id (recorded with the locks and leases it takes). */
  readonly instanceId: string;
  isAlive(instanceId: string): Promise<boolean>;
}
