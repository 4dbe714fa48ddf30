import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { pino } from 'pino';
import type { Database } from '../src/adapters/db/database.js';
import { migrate } from '../src/adapters/db/migrate.js';
import { openPglite } from '../src/adapters/db/pglite.js';
import { openPostgres } from '../src/adapters/db/postgres.js';
import { escrowProblems } from '../src/app/verify.js';
import type { Clock } from '../src/app/ports/index.js';
import { loadConfig } from '../src/config/index.js';
import type { Actor } from '../src/domain/index.js';
import { createEngine, type Engine } from '../src/main.js';
import { missing } from './services.js';

export type EngineKind = 'pglite' | 'postgres';

/** The events of a lifecycle that ends released and paid out, in order. */
export const RELEASED_LIFECYCLE = [
  'EscrowCreated',
  'EscrowFundsHeld',
  'EscrowDelivered',
  'DeliveryConfirmed',
  'EscrowReleased',
  'SettlementSucceeded',
];

/** PGlite always; PostgreSQL too when TEST_DATABASE_URL is set (CI sets it). */
export const ENGINE_KINDS: EngineKind[] = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

/**
 * The engine kinds a file's suites run on (`for (const kind of engineKinds())`): PGlite, and PostgreSQL when
 * TEST_DATABASE_URL is set — else one skipped test in the file's place for them says so, and is counted.
 */
export function engineKinds(): EngineKind[] {
  const reason = missing(['postgres']);
  if (reason) it(`the PostgreSQL variants: skipped, ${reason}`, { skip: reason }, () => undefined);
  return ENGINE_KINDS;
}

/** A clock tests move by hand; nothing sleeps. */
export class FakeClock implements Clock {
  private t: number;
  constructor(start = '2026-01-05T10:00:00.000Z') {
    this.t = Date.parse(start);
  }
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t += ms;
  }
  advanceDays(days: number): void {
    this.advance(days * 86_400_000);
  }
}

export interface TestDb {
  db: Database;
  /** Opens another connection pool on the same database/schema (PostgreSQL only). */
  openAnother(poolSize?: number): Promise<Database>;
  drop(): Promise<void>;
  /** PostgreSQL: the throwaway schema (DATABASE_SCHEMA for another process on the same data). */
  schema?: string;
}

/** A fresh, migrated database: in-memory PGlite, or a throwaway schema on TEST_DATABASE_URL. */
export async function freshDatabase(kind: EngineKind, poolSize = 10): Promise<TestDb> {
  if (kind === 'pglite') {
    const db = await openPglite('memory://');
    await migrate(db);
    return {
      db,
      openAnother: () => Promise.reject(new Error('PGlite is a single in-process connection')),
      drop: () => db.close(),
    };
  }
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set');
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = await openPostgres({ url, poolSize: 1, connectionTimeoutMs: 10_000 });
  await admin.exec(`CREATE SCHEMA ${schema}`);
  const open = (size: number) => openPostgres({ url, poolSize: size, connectionTimeoutMs: 10_000, schema });
  const db = await open(poolSize);
  await migrate(db);
  const others: Database[] = [];
  return {
    db,
    schema,
    async openAnother(size = poolSize) {
      const d = await open(size);
      others.push(d);
      return d;
    },
    async drop() {
      for (const d of others) await d.close();
      await db.close();
      await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
      await admin.close();
    },
  };
}

export interface TestEngine {
  engine: Engine;
  clock: FakeClock;
  db: Database;
  close(): Promise<void>;
}

/** An engine on a fresh database with a fake clock, silent logs and the SANDBOX rail. */
export async function testEngine(
  kind: EngineKind,
  env: Record<string, string> = {},
  shared?: { db: Database; clock: FakeClock },
): Promise<TestEngine> {
  const clock = shared?.clock ?? new FakeClock();
  const fresh = shared ? null : await freshDatabase(kind);
  const db = shared?.db ?? fresh!.db;
  const config = loadConfig({ NODE_ENV: 'test', ESCROW_RETRY_DELAY_MS: '1000', ...env });
  const engine = await createEngine(config, { db, clock, logger: pino({ level: 'silent' }), migrate: false });
  return {
    engine,
    clock,
    db,
    async close() {
      await engine.stop();
      await fresh?.drop();
    },
  };
}

export const actors = {
  buyer: { id: 'buyer-1', role: 'user' } as Actor,
  seller: { id: 'seller-1', role: 'user' } as Actor,
  stranger: { id: 'someone-else', role: 'user' } as Actor,
  service: { id: 'marketplace-backend', role: 'service' } as Actor,
  admin: { id: 'ops-admin', role: 'admin' } as Actor,
  system: { id: 'test-system', role: 'system' } as Actor,
};

let offerSeq = 0;
/** A valid create input; override any field. */
export function escrowInput(over: Record<string, unknown> = {}) {
  offerSeq++;
  return {
    offerId: `offer-${process.pid}-${offerSeq}-${randomBytes(3).toString('hex')}`,
    buyerId: actors.buyer.id,
    sellerId: actors.seller.id,
    rail: 'SANDBOX' as const,
    currency: 'USD',
    amount: '10000',
    ...over,
  };
}

/** Asserts the ledger and event invariants of one escrow (SPEC §2): every flow test ends with this. */
export async function assertEscrowInvariants(engine: Engine, escrowId: string): Promise<void> {
  const [stored, events, ledger] = await Promise.all([
    engine.readModel.getEscrow(escrowId),
    engine.readModel.events(escrowId),
    engine.readModel.ledger(escrowId),
  ]);
  assert.ok(stored, `escrow ${escrowId} exists`);
  assert.deepEqual(escrowProblems(stored, events, ledger), [], `invariants of escrow ${escrowId}`);
}

/** Asserts `escrow verify` finds nothing wrong in the whole database. */
export async function assertDatabaseVerifies(engine: Engine): Promise<void> {
  const report = await engine.verify();
  assert.deepEqual(report.violations, []);
}

/** Row counts of every table, to prove a rejected command wrote nothing (but its audit row, which is not counted). */
export async function tableCounts(db: Database): Promise<Record<string, number>> {
  const tables = [
    'escrows',
    'escrow_events',
    'processed_commands',
    'ledger_accounts',
    'ledger_postings',
    'deliveries',
    'disputes',
    'settlements',
    'outbox',
    'audit_logs',
    'webhook_events',
  ];
  const out: Record<string, number> = {};
  for (const t of tables) {
    const where = t === 'audit_logs' ? ` WHERE NOT details ? 'refused'` : '';
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}${where}`);
    out[t] = rows[0]!.n;
  }
  return out;
}

/** Creates a SANDBOX escrow, pays it through a signed webhook, and returns its id. */
export async function fundedEscrow(engine: Engine, over: Record<string, unknown> = {}): Promise<string> {
  const created = await engine.service.create(actors.buyer, escrowInput(over));
  const paid = await engine.simulator.pay(created.escrow.id);
  assert.equal(paid.outcome.status, 'processed');
  return created.escrow.id;
}

export async function deliveredEscrow(engine: Engine, over: Record<string, unknown> = {}): Promise<string> {
  const id = await fundedEscrow(engine, over);
  await engine.service.execute('MarkDelivered', id, actors.seller, { title: 'Delivered the goods' });
  return id;
}
