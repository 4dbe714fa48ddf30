import type { Rail } from '../../domain/index.js';
import type { SettlementOrder } from './paymentRail.js';

/** An escrow whose payment the provider is asked about. */
export interface EscrowAtProvider {
  escrowId: string;
  rail: Rail;
  status: string;
  reference: string;
  fundingTransactionId: string | null;
  createdAt: string;
}

/** A settlement the provider is asked about, as the order its rail was (or will be) given. */
export interface SettlementAtProvider {
  rail: Rail;
  status: 'PENDING' | 'SUCCEEDED' | 'FAILED';
  order: SettlementOrder;
  createdAt: string;
}

/** Per rail and currency, what the ledger says the provider holds for others, and the platform's fee revenue. */
export interface RailLedgerTotals {
  rail: Rail;
  currency: string;
  /** Holding + seller payable + buyer refundable of the rail's escrows, and their open suspense items. */
  owed: bigint;
  feeRevenue: bigint;
}

/** What the reconciler reads: the rows to check at the providers, and the ledger's totals. */
export interface ReconciliationStore {
  /** Escrows still awaiting funds that were created before `before` (a webhook may have been missed). */
  awaitingFunds(before: string, limit: number): Promise<EscrowAtProvider[]>;
  /** Escrows funded at or after `since` (their payment must exist at the provider). */
  fundedSince(since: string, limit: number): Promise<EscrowAtProvider[]>;
  /** PENDING settlements created before `before` that the worker has tried at least once (or parked at the provider). */
  pendingSettlements(before: string, limit: number): Promise<SettlementAtProvider[]>;
  /** Settlements that succeeded at or after `since` (the provider must have them). */
  succeededSince(since: string, limit: number): Promise<SettlementAtProvider[]>;
  ledgerTotals(): Promise<RailLedgerTotals[]>;
}
