import {
  LAST_SEEN_WINDOW_MS,
  describe,
  instanceView,
  missing,
  type HeartbeatView,
  type RoleLiveness,
} from './roleLiveness.js';
import { DailyCheck, type DailyCheckReport } from './dailyCheck.js';
import { describePause, type PauseService } from './pause.js';
import type { Clock, DailyFigures, DeadLetter, OperationsQueries, OutboxStore } from './ports/index.js';
import type { VerifyProgress, VerifyReport } from './verify.js';
import type { MigrationStatus } from './migrationStatus.js';

export type { MigrationState, MigrationStatus } from './migrationStatus.js';

export type { HeartbeatView, RoleInstanceView, RoleLiveness } from './roleLiveness.js';

export type CheckStatus = 'ok' | 'degraded' | 'error';
export interface Check {
  status: CheckStatus;
  latency_ms?: number;
  detail?: string;
}

/** How long /health waits for the database's answer to `SELECT 1`. */
const PING_TIMEOUT_MS = 2_000;
/** The runbook's outbox thresholds: more than 100 waiting, or the oldest older than 5 minutes, is degraded. */
export const OUTBOX_DEGRADED = { unpublished: 100, oldestAgeSeconds: 300 } as const;

export interface OutboxStatus {
  status: 'ok' | 'degraded';
  unpublished: number;
  oldestAgeSeconds: number;
  deadLetters: number;
}

/** Kafka mode: what the broker side reports (absent in embedded and PostgreSQL modes). */
export interface BrokerStatus {
  health(): Promise<{ ok: boolean; latencyMs: number; detail: string }>;
  /** The worker group's lag on the commands topic, per partition. */
  lag(): Promise<{ partition: number; lag: number }[]>;
  readonly commandsTopic: string;
}

/** Figures for /metrics: what the database and the broker say now. */
export interface OperationsSnapshot {
  escrowsByStatus: Record<string, number>;
  settlementsByStatus: Record<string, number>;
  outbox: { unpublished: number; oldestAgeSeconds: number };
  /** Outgoing webhooks: per endpoint, the age of its oldest message not yet delivered. */
  webhooksOldestPending?: { endpointId: string; ageSeconds: number }[];
  pool: { total: number; idle: number; waiting: number };
  /** Open disputes past each deadline (`escrow disputes --overdue`). */
  disputesOverdue: { response: number; sla: number };
  kafkaLag?: { topic: string; partitions: { partition: number; lag: number }[] };
  /** Set when the broker's lag could not be read (the rest of the snapshot stands). */
  kafkaLagError?: unknown;
  /** Live instances per role, across every process on the database (absent without heartbeats). */
  liveInstances?: Record<string, number>;
  /** Per scope, whether it is paused as this process holds it (absent without the pause). */
  paused?: { payouts: boolean; intake: boolean };
}

/** A dead-lettered outbox row (the port's shape), as the admin API and `escrow outbox dlq` list it. */
export type { DeadLetter };

/** Which outbox rows to send again: dead letters (all, or by outbox id), or every event of one escrow. */
export type OutboxReplay = { allDead: true } | { ids: readonly string[] } | { escrowId: string };

/** A skip's outcome: done (which event), or not a dead letter; a dry run says whether it would be skipped. */
export type OutboxSkip =
  { skipped: true; escrowId: string; eventId: string } | { skipped: boolean; dryRun: true } | { skipped: false };

/** Who did what and why, for an operator action's audit row. */
export interface OperatorAction {
  actor: { id: string; role: string };
  action: string;
  reason: string;
  escrowId?: string;
  details?: Record<string, unknown>;
}

/**
 * What operators run on the database, through the admin API or the CLI (one implementation, the two ways in).
 * The composition root provides it; without it these operations throw.
 */
export interface Maintenance {
  verify(onProgress?: VerifyProgress): Promise<VerifyReport>;
  deadLetters(limit: number): Promise<DeadLetter[]>;
  replay(what: OutboxReplay): Promise<number>;
  /** How many rows `replay` would queue (its dry run). */
  countReplay(what: OutboxReplay): Promise<number>;
  /** Gives up on one dead letter (never published; its escrow's later events go out); null if `id` is not one. */
  skipDeadLetter(id: string): Promise<{ escrowId: string; eventId: string } | null>;
  /** With `apply`, the pending migrations are applied first (and listed in `applied`). */
  migrations(apply: boolean): Promise<MigrationStatus>;
  audit(action: OperatorAction): Promise<void>;
}

/**
 * One status service for `/health`, `/metrics`, the CLI and the console: every check and threshold lives here, so
 * they all tell the operator the same thing.
 */
export class OperationsService {
  constructor(
    private readonly deps: {
      queries: OperationsQueries;
      outbox: Pick<OutboxStore, 'stats'>;
      clock: Clock;
      /** When this process's timeouts role last completed a run (null: not run here). */
      lastTimeoutRun: () => Date | null;
      timeoutPollIntervalMs: number;
      broker?: BrokerStatus;
      maintenance?: Maintenance;
      heartbeats?: HeartbeatView;
      /** Checks of other parts (risk screening, reconciliation), by name, added to /health. */
      extraChecks?: Record<string, () => Check | null | Promise<Check | null>>;
      /** The emergency pause: its own /health check, its gauge, and the admin routes and CLI commands. */
      pause?: PauseService;
      /** What the daily check reads besides the status (`escrow check`). */
      figures?: DailyFigures;
      /** Outgoing webhooks' backlog per endpoint (the webhook_oldest_pending_seconds gauge). */
      webhookBacklog?: () => Promise<{ endpointId: string; ageSeconds: number }[]>;
    },
  ) {}

  /** `escrow check` (GET /api/admin/check): the daily review checklist of seeds 000 and 003. */
  dailyCheck(): Promise<DailyCheckReport> {
    if (!this.deps.figures) throw new Error('the daily check is not available in this engine');
    return new DailyCheck({ status: this, figures: this.deps.figures, clock: this.deps.clock }).run();
  }

  /** The emergency pause (pause, resume, status, the in-memory check), or null in an engine without it. */
  get pause(): PauseService | null {
    return this.deps.pause ?? null;
  }

  private maintenance(): Maintenance {
    if (!this.deps.maintenance) throw new Error('operator maintenance is not available in this engine');
    return this.deps.maintenance;
  }

  /** Every ledger and event invariant, on the live database. */
  verify(onProgress?: VerifyProgress): Promise<VerifyReport> {
    return this.maintenance().verify(onProgress);
  }

  /** Dead-lettered outbox rows, oldest first. */
  deadLetters(limit: number): Promise<DeadLetter[]> {
    return this.maintenance().deadLetters(limit);
  }

  /** Sends outbox rows again (audited), or with `dryRun` counts what would be queued. */
  async replayOutbox(what: OutboxReplay, by: Omit<OperatorAction, 'action'>, dryRun = false) {
    const m = this.maintenance();
    if (dryRun) return { queued: await m.countReplay(what), dryRun: true as const };
    const action = { ...by, action: 'outbox.replay', details: { ...what } };
    return { queued: await this.audited(action, () => m.replay(what)) };
  }

  /**
   * Skips a dead-lettered outbox row for good (audited as `outbox.skip` with who and why): an escrow's later events
   * wait behind its dead letter, and go out once it is skipped — or replayed (`replayOutbox`), which sends it first.
   * With `dryRun`, only whether it would be skipped (it is a dead letter): nothing changes, nothing is audited.
   */
  async skipOutbox(id: string, by: Omit<OperatorAction, 'action'>, dryRun = false): Promise<OutboxSkip> {
    // a dead letter is exactly what a replay by id would queue
    if (dryRun) return { skipped: (await this.maintenance().countReplay({ ids: [id] })) > 0, dryRun: true };
    const done = await this.maintenance().skipDeadLetter(id);
    if (!done) return { skipped: false };
    await this.maintenance().audit({ ...by, action: 'outbox.skip', escrowId: done.escrowId, details: { id, ...done } });
    return { skipped: true, ...done };
  }

  /** The migration status; with `apply`, the pending ones applied first (audited when any were). */
  async migrations(apply: boolean, by: Omit<OperatorAction, 'action'>): Promise<MigrationStatus> {
    const status = await this.maintenance().migrations(apply);
    if (apply && status.applied.length > 0) {
      await this.maintenance().audit({ ...by, action: 'migrations.apply', details: { applied: status.applied } });
    }
    return status;
  }

  /** Runs an operator action and records who ran it and why (after it succeeded). */
  async audited<T>(action: OperatorAction, run: () => Promise<T>): Promise<T> {
    const result = await run();
    await this.maintenance().audit(action);
    return result;
  }

  /**
   * Readiness: the database answers, within PING_TIMEOUT_MS — a database that stops answering without closing its
   * connections makes /health say error in seconds, not after the statement timeout.
   */
  async database(): Promise<Check> {
    const t = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the database did not answer within ${PING_TIMEOUT_MS / 1000} s`)),
        PING_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([this.deps.queries.ping(), late]);
      return { status: 'ok', latency_ms: round2(performance.now() - t) };
    } catch (err) {
      return { status: 'error', detail: err instanceof Error ? err.message : String(err) };
    } finally {
      clearTimeout(timer);
    }
  }

  async outboxStatus(): Promise<OutboxStatus> {
    const o = await this.deps.outbox.stats();
    const degraded =
      o.unpublished > OUTBOX_DEGRADED.unpublished || o.oldestAgeSeconds > OUTBOX_DEGRADED.oldestAgeSeconds;
    return { status: degraded ? 'degraded' : 'ok', ...o };
  }

  /**
   * Every check, and the overall status: error if any check errs, degraded if any is degraded. `roles` says, per
   * role, which instances are alive anywhere (from the heartbeats).
   */
  async health(): Promise<{
    status: CheckStatus;
    checks: Record<string, Check>;
    roles?: Record<string, RoleLiveness>;
  }> {
    const db = await this.database();
    const checks: Record<string, Check> = { database: db };
    let roles: Record<string, RoleLiveness> | undefined;
    if (db.status === 'ok') {
      const o = await this.outboxStatus();
      checks.outbox = {
        status: o.status,
        detail: `${o.unpublished} unpublished, oldest ${Math.round(o.oldestAgeSeconds)} s, ${o.deadLetters} dead letters`,
      };
      roles = await this.roles();
      checks.timeouts = this.timeoutsCheck(roles?.timeouts);
      if (roles) checks.roles = this.rolesCheck(roles);
    }
    if (this.deps.broker) {
      const k = await this.deps.broker.health();
      checks.kafka = { status: k.ok ? 'ok' : 'error', latency_ms: round2(k.latencyMs), detail: k.detail };
    }
    if (this.deps.pause) checks.pause = await this.pauseCheck(this.deps.pause);
    for (const [name, check] of Object.entries(this.deps.extraChecks ?? {})) {
      const c = await check();
      if (c) checks[name] = c;
    }
    const statuses = Object.values(checks).map((c) => c.status);
    const status = statuses.includes('error') ? 'error' : statuses.includes('degraded') ? 'degraded' : 'ok';
    return { status, checks, ...(roles ? { roles } : {}) };
  }

  /** Per expected role (and any other role seen): its live instances, from the heartbeats; undefined without them. */
  async roles(): Promise<Record<string, RoleLiveness> | undefined> {
    const hb = this.deps.heartbeats;
    if (!hb) return undefined;
    const seen = await hb.store.recent(LAST_SEEN_WINDOW_MS);
    const names = [...new Set([...hb.expected, ...seen.map((h) => h.role)])];
    return Object.fromEntries(
      names.map((role) => {
        const mine = seen.filter((h) => h.role === role);
        const live = mine.filter((h) => h.ageSeconds * 1000 < hb.staleMs);
        const last = mine[0]?.lastSeen;
        const view: RoleLiveness = { alive: live.length > 0, instances: live.map((h) => instanceView(h, hb)) };
        if (live.length === 0 && last) view.last_seen = last.toISOString();
        return [role, view];
      }),
    );
  }

  private timeoutsCheck(liveness?: RoleLiveness): Check {
    const last = this.deps.lastTimeoutRun();
    if (last) {
      const late = this.deps.clock.now().getTime() - last.getTime() > 3 * this.deps.timeoutPollIntervalMs;
      return { status: late ? 'degraded' : 'ok', detail: `last run ${last.toISOString()}` };
    }
    if (!liveness) return { status: 'ok', detail: 'not running in this process' };
    if (liveness.alive) return { status: 'ok', detail: `alive: ${liveness.instances.map(describe).join('; ')}` };
    return { status: 'degraded', detail: missing('timeouts', liveness, this.deps.heartbeats!.staleMs) };
  }

  /** Degraded while a pause is in force: which scope, since when, who set it and why. */
  private async pauseCheck(pause: PauseService): Promise<Check> {
    const s = await pause.status();
    const inForce = [s.payouts, s.intake].filter((p) => p !== null);
    if (inForce.length === 0) return { status: 'ok', detail: 'not paused' };
    const held = {
      payouts: 'settlements and the timeouts that move money are held',
      intake: 'new escrows and user changes are refused (503 PAUSED)',
    };
    const lines = inForce.map((p) => `${describePause(p)} (${held[p.scope]})`);
    return { status: 'degraded', detail: `${lines.join('; ')}; lift with escrow resume --reason "…"` };
  }

  /** Degraded while an expected role has no live instance anywhere. */
  private rolesCheck(roles: Record<string, RoleLiveness>): Check {
    const hb = this.deps.heartbeats!;
    const gone = hb.expected.filter((r) => !roles[r]?.alive);
    const counts = Object.entries(roles).map(([r, l]) => `${r} ${l.instances.length}`);
    if (gone.length === 0) return { status: 'ok', detail: `live instances: ${counts.join(', ')}` };
    const why = gone.map((r) => missing(r, roles[r]!, hb.staleMs)).join('; ');
    return { status: 'degraded', detail: `${why} (live instances: ${counts.join(', ')})` };
  }

  /** The database-backed gauges (and the broker's lag in Kafka mode), read in one go. */
  async snapshot(): Promise<OperationsSnapshot> {
    const { queries, outbox, broker } = this.deps;
    const [escrowsByStatus, settlementsByStatus, o, disputesOverdue] = await Promise.all([
      queries.escrowsByStatus(),
      queries.settlementsByStatus(),
      outbox.stats(),
      queries.disputesOverdue(this.deps.clock.now()),
    ]);
    const snap: OperationsSnapshot = {
      escrowsByStatus,
      settlementsByStatus,
      outbox: { unpublished: o.unpublished, oldestAgeSeconds: o.oldestAgeSeconds },
      pool: queries.poolStats(),
      disputesOverdue,
    };
    const roles = await this.roles();
    if (this.deps.pause) {
      const p = await this.deps.pause.status();
      snap.paused = { payouts: p.payouts !== null, intake: p.intake !== null };
    }
    if (this.deps.webhookBacklog) snap.webhooksOldestPending = await this.deps.webhookBacklog();
    if (roles) snap.liveInstances = Object.fromEntries(Object.entries(roles).map(([r, l]) => [r, l.instances.length]));
    if (broker) {
      try {
        snap.kafkaLag = { topic: broker.commandsTopic, partitions: await broker.lag() };
      } catch (err) {
        snap.kafkaLagError = err;
      }
    }
    return snap;
  }
}

const round2 = (ms: number) => Math.round(ms * 100) / 100;
