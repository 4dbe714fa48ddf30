import type { Rail } from '../../domain/index.js';

/** Where a seller is paid on one rail (a Stripe connected account, a Paystack recipient, a wallet address). */
export interface PayoutAccount {
  sellerId: string;
  rail: Rail;
  accountId: string;
  /** What the provider said about it when it was registered (e.g. the bank and last digits). */
  detail: string | null;
  registeredBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface PayoutAccountChange {
  sellerId: string;
  rail: Rail;
  accountId: string;
  detail: string | null;
  actor: { id: string; role: string };
  reason: string;
  at: string;
}

/** A settlement parked (not failing): waiting for a payout account, or for the provider's final word. */
export interface WaitingSettlement {
  settlementId: string;
  escrowId: string;
  rail: Rail;
  kind: 'PAYOUT' | 'REFUND';
  amount: string;
  currency: string;
  beneficiaryId: string;
  waitingFor: 'PAYOUT_ACCOUNT' | 'PROVIDER';
  note: string | null;
  submittedReference: string | null;
  createdAt: string;
  nextCheckAt: string;
}

export interface PayoutAccountStore {
  /** Registers or replaces the account, with its audit row, in one transaction; answers the account it replaced. */
  put(change: PayoutAccountChange): Promise<{ account: PayoutAccount; previousAccountId: string | null }>;
  get(sellerId: string, rail: Rail): Promise<PayoutAccount | null>;
  list(sellerId: string): Promise<PayoutAccount[]>;
  /** Parked settlements, oldest first. */
  waitingSettlements(limit: number, waitingFor?: 'PAYOUT_ACCOUNT' | 'PROVIDER'): Promise<WaitingSettlement[]>;
}
