/** The custodian's objects as docs/custodian-api.yaml defines them (amounts: digit strings of USDC minor units, 6 decimals). */
export type DepositStatus = 'pending' | 'confirmed' | 'failed';
export type TransferStatus = 'submitted' | 'broadcast' | 'confirmed' | 'failed';

export interface CustodianDepositAddress {
  id: string;
  address: string;
  reference: string;
  asset: string;
  network: string;
  expectedAmount?: string | null;
  status?: 'open' | 'closed';
}

export interface CustodianDeposit {
  id: string;
  depositAddressId?: string;
  reference: string;
  txHash: string;
  from: string;
  amount: string;
  asset: string;
  network: string;
  confirmations: number;
  status: DepositStatus;
  failureReason?: string | null;
}

export interface CustodianTransfer {
  id: string;
  reference: string;
  destination: string;
  amount: string;
  asset: string;
  network: string;
  status: TransferStatus;
  txHash?: string | null;
  failureReason?: string | null;
}

export interface CustodianList<T> {
  data: T[];
}

export interface CustodianBalance {
  asset: string;
  network: string;
  available: string;
  pending: string;
}

export interface CustodianEvent {
  id: string;
  type: string;
  created: number;
  data: unknown;
}

export const CUSTODIAN_TIMESTAMP_HEADER = 'x-custodian-timestamp';
export const CUSTODIAN_SIGNATURE_HEADER = 'x-custodian-signature';
