import type { HeartbeatStore, ProcessInstance, RoleHeartbeat } from '../../app/ports/heartbeatStore.js';
import type { Database } from './database.js';

/** Rows of instances gone for longer than this are deleted by the next beat of any process. */
const FORGET_AFTER = '1 day';

// One statement per beat, however many roles: refresh this instance's rows and forget long-gone instances.
const BEAT = `
  WITH forgotten AS (
    DELETE FROM process_heartbeats WHERE last_seen < now() - interval '${FORGET_AFTER}' AND instance_id <> $1::uuid)
  INSERT INTO process_heartbeats (instance_id, role, host, pid, version, started_at, last_seen)
  SELECT $1::uuid, r, $3::text, $4::integer, $5::text, $6::timestamptz, now() FROM unnest($2::text[]) AS r
  ON CONFLICT (instance_id, role) DO UPDATE SET last_seen = now()`;

const RECENT = `
  SELECT instance_id, role, host, pid, version, started_at, last_seen,
         extract(epoch FROM now() - last_seen)::double precision AS age_seconds
    FROM process_heartbeats
   WHERE last_seen > now() - make_interval(secs => $1::double precision / 1000)
   ORDER BY role, last_seen DESC`;

const ALIVE = `
  SELECT 1 FROM process_heartbeats
   WHERE instance_id = $1::uuid AND last_seen > now() - make_interval(secs => $2::double precision / 1000) LIMIT 1`;

interface Row {
  instance_id: string;
  role: string;
  host: string;
  pid: number;
  version: string;
  started_at: Date | string;
  last_seen: Date | string;
  age_seconds: number;
}

/** Role heartbeats in `process_heartbeats` (migration 009), timed by the database's clock. */
export class SqlHeartbeatStore implements HeartbeatStore {
  constructor(private readonly db: Database) {}

  async beat(instance: ProcessInstance, roles: readonly string[]): Promise<void> {
    if (roles.length === 0) return;
    const { instanceId, host, pid, version, startedAt } = instance;
    await this.db.query(BEAT, [instanceId, roles, host, pid, version, startedAt]);
  }

  async remove(instanceId: string, roles?: readonly string[]): Promise<void> {
    if (roles) {
      await this.db.query(`DELETE FROM process_heartbeats WHERE instance_id = $1 AND role = ANY($2::text[])`, [
        instanceId,
        roles,
      ]);
    } else await this.db.query(`DELETE FROM process_heartbeats WHERE instance_id = $1`, [instanceId]);
  }

  async recent(withinMs: number): Promise<RoleHeartbeat[]> {
    const { rows } = await this.db.query<Row>(RECENT, [withinMs]);
    return rows.map((r) => ({
      instanceId: r.instance_id,
      role: r.role,
      host: r.host,
      pid: r.pid,
      version: r.version,
      startedAt: new Date(r.started_at),
      lastSeen: new Date(r.last_seen),
      ageSeconds: Number(r.age_seconds),
    }));
  }

  async isAlive(instanceId: string, staleMs: number): Promise<boolean> {
    const { rows } = await this.db.query(ALIVE, [instanceId, staleMs]);
    return rows.length > 0;
  }
}
