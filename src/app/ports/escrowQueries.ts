import type { Escrow, EscrowStatus, LedgerEntry, Rail, SuspenseItem, SuspenseStatus } from '../../domain/index.js';
import type { CommandResult } from '../envelope.js';
import type { StoredEvent } from './storedEvent.js';

export interface EscrowFilter {
  status?: string;
  rail?: Rail;
  buyerId?: string;
  sellerId?: string;
  createdFrom?: string;
  createdTo?: string;
  /** Only escrows flagged (true) or not flagged (false) for review. */
  flagged?: boolean;
  /** Restricts to escrows this user is a party of. */
  partyId?: string;
}

export interface AuditEntry {
  id: string;
  actorId: string;
  actorRole: string;
  action: string;
  commandId: string | null;
  fromStatus: string | null;
  toStatus: string | null;
  details: Record<string, unknown>;
  createdAt: string;
}

export interface PaymentTarget {
  id: string;
  rail: Rail;
  reference: string;
  /** What the buyer must pay: amount + buyer fee, minor units. */
  due: bigint;
  /** The escrow's own amount (the sandbox's magic amounts look at it). */
  amount: bigint;
  currency: string;
  /** The parties (the blacklist looks at them when a payment arrives). */
  buyerId: string;
  sellerId: string;
}

/** A suspense item with its escrow, as operators list it. */
export interface SuspenseEntry extends SuspenseItem {
  escrowId: string;
  escrowStatus: EscrowStatus;
  rail: Rail;
  buyerId: string;
}

export interface SuspenseFilter {
  status?: SuspenseStatus;
  escrowId?: string;
  currency?: string;
}

export interface EscrowReadModel {
  getEscrow(escrowId: string): Promise<Escrow | null>;
  listEscrows(filter: EscrowFilter, limit: number, after: { createdAt: string; id: string } | null): Promise<Escrow[]>;
  events(escrowId: string): Promise<StoredEvent[]>;
  ledger(escrowId: string): Promise<(LedgerEntry & { createdAt: string })[]>;
  audit(escrowId: string): Promise<AuditEntry[]>;
  commandResult(commandId: string): Promise<(CommandResult & { actorId: string }) | null>;
  findByPaymentReference(reference: string): Promise<PaymentTarget | null>;
  /** The payment side of an escrow by id or payment reference (what a payer needs), without the full aggregate. */
  paymentTarget(idOrReference: string): Promise<PaymentTarget | null>;
  /** Suspense items, newest first, keyset-paginated on (receivedAt, id). */
  listSuspense(
    filter: SuspenseFilter,
    limit: number,
    after: { receivedAt: string; id: string } | null,
  ): Promise<SuspenseEntry[]>;
  /** The escrow a suspense item belongs to. */
  escrowOfSuspense(suspenseId: string): Promise<string | null>;
  /** Open suspense per currency (what the suspense account should hold). */
  openSuspenseTotals(): Promise<{ currency: string; amount: bigint; items: number }[]>;
}
