import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { CommandEnvelope } from '../../app/envelope.js';
import type { CommitRequest, StoredEvent } from '../../app/ports/index.js';
import { fold, type Escrow } from '../../domain/index.js';
import { histories } from '../../../test/domainFixtures.js';
import type { Database } from './database.js';
import { ESCROW_COLUMNS, ESCROW_FIELD_COLUMNS } from './escrowColumns.js';
import { SqlEscrowQueries } from './escrowQueries.js';
import { SqlEscrowStore } from './escrowStore.js';
import { migrate } from './migrate.js';
import { openPglite } from './pglite.js';
import { T0, T1, everyFieldSet } from './escrowFixture.kit.js';

// ESCROW_COLUMNS against the SQL it describes: the live table (001), escrow_aggregate (003) and the UPDATE of
// escrow_commit (002; since 008 escrow_commit_core, which escrow_commit wraps), and every Escrow field written by the command path and read back unchanged.

const CHILDREN = ['deliveries', 'disputes', 'settlements', 'suspense', 'milestones', 'vault'];

/** The sealed secret a vault row cites must be stored first (escrow_commit refuses a vault without one). */
async function sealedFor(e: Escrow): Promise<void> {
  if (!e.vault) return;
  await db.query(
    `INSERT INTO vault_secrets (fingerprint, escrow_id, key_id, iv, ciphertext, tag, created_at)
     VALUES ($1, $2, 'k1', 'aXY=', 'Y3Q=', 'dGFn', $3) ON CONFLICT DO NOTHING`,
    [e.vault.fingerprint, e.id, T0],
  );
}

/** The reference escrow of the domain fixtures after `history`, under database-shaped (uuid) ids. */
function folded(history: keyof typeof histories): Escrow {
  const id = randomUUID();
  const e = fold(id, histories[history]());
  assert.ok(e);
  return {
    ...e,
    offerId: `offer-${id}`,
    payment: { ...e.payment, reference: `ref-${id}` },
    deliveries: e.deliveries.map((d) => ({ ...d, id: randomUUID() })),
    disputes: e.disputes.map((d) => ({ ...d, id: randomUUID() })),
    settlements: e.settlements.map((s) => ({ ...s, id: randomUUID() })),
    suspense: e.suspense.map((s) => ({ ...s, id: randomUUID() })),
  };
}

/** A commit of `after` through SqlEscrowStore (one synthetic event, no postings): the command path's own writes. */
function commitOf(before: Escrow | null, after: Escrow): CommitRequest {
  const commandId = randomUUID();
  const actor = { id: 'admin-1', role: 'admin' as const };
  const envelope = {
    commandId,
    type: 'CreateEscrow',
    escrowId: after.id,
    actor,
    issuedAt: after.updatedAt,
    correlationId: 'drift-test',
    causationId: null,
    payload: {},
  } as unknown as CommandEnvelope;
  const event: StoredEvent = {
    eventId: randomUUID(),
    type: 'EscrowCreated',
    escrowId: after.id,
    sequence: (before?.version ?? 0) + 1,
    occurredAt: after.updatedAt,
    correlationId: 'drift-test',
    causationId: null,
    actor,
    schemaVersion: 1,
    commandId,
    data: {} as StoredEvent['data'],
  };
  return {
    envelope,
    at: after.updatedAt,
    before,
    after,
    events: [event],
    postings: [],
    result: {
      commandId,
      escrowId: after.id,
      type: 'CreateEscrow',
      fromStatus: before?.status ?? null,
      toStatus: after.status,
      version: after.version,
      eventIds: [event.eventId],
    },
    webhook: null,
  };
}

let db: Database;
let store: SqlEscrowStore;
let queries: SqlEscrowQueries;
before(async () => {
  db = await openPglite('memory://');
  await migrate(db);
  store = new SqlEscrowStore(db);
  queries = new SqlEscrowQueries(db);
});
after(async () => {
  await db.close();
});

describe('ESCROW_COLUMNS against the SQL it describes (PGlite)', () => {
  it('names every column of the escrows table, in order, with its type and nullability', async () => {
    const { rows } = await db.query<{ column: string; sqlType: string; nullable: boolean }>(
      `SELECT column_name AS "column", is_nullable = 'YES' AS nullable,
              CASE data_type WHEN 'timestamp with time zone' THEN 'timestamptz' ELSE data_type END AS "sqlType"
         FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = 'escrows' ORDER BY ordinal_position`,
    );
    assert.deepEqual(
      ESCROW_COLUMNS.map(({ column, sqlType, nullable }) => ({ column, sqlType, nullable })),
      rows.map(({ column, sqlType, nullable }) => ({ column, sqlType, nullable })),
    );
  });

  it('has exactly the fields escrow_aggregate returns, encoded as the row is written', async () => {
    const e = everyFieldSet();
    await sealedFor(e);
    await store.commit(commitOf(null, e));
    const { rows } = await db.query<{ j: Record<string, unknown>; r: Record<string, unknown> }>(
      'SELECT escrow_aggregate(e) AS j, to_jsonb(e) AS r FROM escrows e WHERE e.id = $1',
      [e.id],
    );
    const { j, r } = rows[0]!;
    assert.deepEqual(
      Object.keys(j)
        .filter((k) => !CHILDREN.includes(k))
        .sort(),
      ESCROW_FIELD_COLUMNS.map((c) => c.field).sort(),
    );
    // amounts as digit strings and timestamps as iso() text, both ways
    for (const c of ESCROW_FIELD_COLUMNS) assert.deepEqual(j[c.field], c.toRow(e), `escrow_aggregate: ${c.field}`);
    for (const c of ESCROW_COLUMNS.filter((x) => x.field === null)) {
      assert.equal(r[c.column], c.toRow(e), `derived column ${c.column}`);
    }
  });

  it("marks as updated exactly the columns escrow_commit's UPDATE sets", async () => {
    const { rows } = await db.query<{ src: string }>(
      `SELECT prosrc AS src FROM pg_proc WHERE proname = 'escrow_commit_core'`,
    );
    assert.equal(rows.length, 1);
    const set = /UPDATE\s+escrows\s+e\s+SET\s+([\s\S]+?)\s+FROM\s+jsonb_populate_record/.exec(rows[0]!.src)?.[1];
    assert.ok(set, "escrow_commit's UPDATE of escrows not found");
    const assignments = set.split(',').map((a) => a.trim());
    for (const a of assignments)
      assert.match(a, /^(\w+) = r\.\1$/, `an assignment that is not column = r.column: ${a}`);
    assert.deepEqual(
      assignments.map((a) => a.split(' ')[0]).sort(),
      ESCROW_COLUMNS.filter((c) => c.updated)
        .map((c) => c.column)
        .sort(),
    );
    // and the INSERT writes the whole row
    assert.match(rows[0]!.src, /INSERT INTO escrows SELECT \* FROM jsonb_populate_record\(NULL::escrows/);
  });
});

describe('every Escrow field through the command path and back (PGlite)', () => {
  it('reads back every field the command path wrote (load, getEscrow)', async () => {
    const written = [everyFieldSet(), ...(Object.keys(histories) as (keyof typeof histories)[]).map(folded)];
    for (const e of written) {
      await sealedFor(e);
      await store.commit(commitOf(null, e));
      assert.deepEqual(await queries.getEscrow(e.id), e, `getEscrow of a ${e.status} escrow`);
      assert.deepEqual((await store.load(e.id, randomUUID())).escrow, e, `load of a ${e.status} escrow`);
    }
  });

  it('changes on a later command exactly the fields of updated columns', async () => {
    const a: Escrow = {
      ...everyFieldSet(),
      contractId: null,
      status: 'AWAIT_FUNDS',
      version: 1,
      autoRefundAt: null,
      fundedAmount: 0n,
      releasedAmount: 0n,
      refundedAmount: 0n,
      feeAmount: 0n,
      fundingTransactionId: null,
      refundType: null,
      cancelReason: null,
      flaggedForReview: false,
      updatedAt: T0,
      deliveries: [],
      disputes: [],
      settlements: [],
      suspense: [],
      milestones: [],
      vault: null,
    };
    await store.commit(commitOf(null, a));
    // every field differs from a; the table's CHECKs hold for the row the UPDATE leaves (a's amount and fees)
    const b: Escrow = {
      ...a,
      offerId: 'offer-other',
      contractId: 'contract-other',
      buyerId: 'buyer-other',
      sellerId: 'seller-other',
      rail: 'STRIPE',
      currency: 'USD',
      amount: 20_000n,
      buyerFee: 640n,
      sellerFee: 60n,
      status: 'REFUNDED',
      version: 2,
      expiresAt: T1,
      autoRefundAt: T1,
      metadata: { other: true },
      payment: { reference: `other-${a.id}` },
      fundedAmount: a.amount + a.buyerFee,
      releasedAmount: 4_000n,
      refundedAmount: a.amount + a.buyerFee - 4_323n,
      feeAmount: 323n,
      fundingTransactionId: 'tx-other',
      refundType: 'FULL',
      cancelReason: 'TIMEOUT',
      flaggedForReview: true,
      createdAt: T1,
      updatedAt: T1,
    };
    await store.commit(commitOf(a, b));
    const expected: Record<string, unknown> = { ...a };
    for (const c of ESCROW_FIELD_COLUMNS) if (c.updated) expected[c.field] = b[c.field];
    assert.deepEqual(await queries.getEscrow(a.id), expected);
  });
});
