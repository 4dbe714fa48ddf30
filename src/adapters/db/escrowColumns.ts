import type { Escrow } from '../../domain/index.js';

/**
 * The `escrows` row, column by column: the one place that says which aggregate field each column holds and how it
 * is encoded. escrowRows.ts derives the row written by escrow_commit and the reading of escrow_aggregate's JSON from
 * it; escrowColumns.int.test.ts fails when it drifts from the table (001), escrow_aggregate (003) or the UPDATE of
 * escrow_commit (002). The SQL itself is in migrations that deployed databases have run, so it is checked, not
 * generated.
 */

/** The escrow's own fields; deliveries, disputes, settlements, suspense, milestones and the vault have tables of their own. */
export type EscrowScalars = Omit<
  Escrow,
  'deliveries' | 'disputes' | 'settlements' | 'suspense' | 'milestones' | 'vault'
>;

/** Types as the migrations spell them. */
export type SqlType = 'uuid' | 'text' | 'bigint' | 'integer' | 'boolean' | 'jsonb' | 'timestamptz';

interface ColumnBase {
  column: string;
  sqlType: SqlType;
  nullable: boolean;
  /** In escrow_commit's UPDATE: a command may change it after the escrow is created. */
  updated: boolean;
  /** The value written (jsonb_populate_record input): amounts as digit strings, timestamps as ISO-8601 text. */
  toRow(e: Escrow): unknown;
}

/** A column holding one aggregate field, under the same name in escrow_aggregate's JSON. */
export interface FieldColumn<K extends keyof EscrowScalars = keyof EscrowScalars> extends ColumnBase {
  field: K;
  /** The field from escrow_aggregate's JSON, which encodes it as toRow does. */
  fromJson(v: unknown): EscrowScalars[K];
}

/** A column computed from other fields (not in escrow_aggregate's JSON). */
export interface DerivedColumn extends ColumnBase {
  field: null;
}

export type EscrowColumn = FieldColumn | DerivedColumn;

interface Options<K extends keyof EscrowScalars> {
  /** Must be given exactly when the field's type admits null. */
  nullable: null extends EscrowScalars[K] ? true : false;
  updated?: boolean;
}

/** bigint columns travel as digit strings (never JSON numbers); everything else as it is. */
function field<K extends keyof EscrowScalars>(
  column: string,
  sqlType: EscrowScalars[K] extends bigint ? 'bigint' : Exclude<SqlType, 'bigint'>,
  name: K,
  opts: Options<K>,
): FieldColumn<K> {
  const money = sqlType === 'bigint';
  return {
    column,
    sqlType,
    nullable: opts.nullable,
    updated: opts.updated ?? false,
    field: name,
    toRow: money ? (e) => (e[name] as bigint).toString() : (e) => e[name],
    fromJson: money ? (v) => BigInt(v as string) as EscrowScalars[K] : (v) => v as EscrowScalars[K],
  };
}

const NOT_NULL = { nullable: false } as const;
const NULLABLE = { nullable: true } as const;
const UPDATED = { nullable: false, updated: true } as const;
const UPDATED_NULLABLE = { nullable: true, updated: true } as const;

/** In the table's column order (001_schema.sql). */
export const ESCROW_COLUMNS = [
  field('id', 'uuid', 'id', NOT_NULL),
  field('offer_id', 'text', 'offerId', NOT_NULL),
  field('contract_id', 'text', 'contractId', NULLABLE),
  field('buyer_id', 'text', 'buyerId', NOT_NULL),
  field('seller_id', 'text', 'sellerId', NOT_NULL),
  field('rail', 'text', 'rail', NOT_NULL),
  field('currency', 'text', 'currency', NOT_NULL),
  field('amount', 'bigint', 'amount', NOT_NULL),
  field('buyer_fee', 'bigint', 'buyerFee', NOT_NULL),
  field('seller_fee', 'bigint', 'sellerFee', NOT_NULL),
  field('status', 'text', 'status', UPDATED),
  field('version', 'integer', 'version', UPDATED),
  field('expires_at', 'timestamptz', 'expiresAt', NOT_NULL),
  field('auto_refund_at', 'timestamptz', 'autoRefundAt', UPDATED_NULLABLE),
  field('metadata', 'jsonb', 'metadata', NOT_NULL),
  field('payment', 'jsonb', 'payment', NOT_NULL),
  // a column of its own so it can be unique and looked up (webhooks, payment targets)
  {
    column: 'payment_reference',
    sqlType: 'text',
    nullable: false,
    updated: false,
    field: null,
    toRow: (e) => e.payment.reference,
  },
  field('funded_amount', 'bigint', 'fundedAmount', UPDATED),
  field('released_amount', 'bigint', 'releasedAmount', UPDATED),
  field('refunded_amount', 'bigint', 'refundedAmount', UPDATED),
  field('fee_amount', 'bigint', 'feeAmount', UPDATED),
  field('funding_transaction_id', 'text', 'fundingTransactionId', UPDATED_NULLABLE),
  field('refund_type', 'text', 'refundType', UPDATED_NULLABLE),
  field('cancel_reason', 'text', 'cancelReason', UPDATED_NULLABLE),
  field('flagged_for_review', 'boolean', 'flaggedForReview', UPDATED),
  field('created_at', 'timestamptz', 'createdAt', NOT_NULL),
  field('updated_at', 'timestamptz', 'updatedAt', UPDATED),
] as const satisfies readonly EscrowColumn[];

/** The columns that hold a field, in table order. */
export const ESCROW_FIELD_COLUMNS: readonly FieldColumn[] = ESCROW_COLUMNS.filter(
  (c): c is Extract<(typeof ESCROW_COLUMNS)[number], { field: string }> => c.field !== null,
);

// Compile-time half of the drift check: a field of Escrow with no column here is a type error.
type Covered = Extract<(typeof ESCROW_COLUMNS)[number], { field: string }>['field'];
type Uncovered = Exclude<keyof EscrowScalars, Covered>;
const _everyFieldHasAColumn: [Uncovered] extends [never] ? true : Uncovered = true;
void _everyFieldHasAColumn;
