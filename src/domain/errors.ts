/** Stable error codes: clients and the HTTP layer match on these, never on messages. */
export type DomainErrorCode =
  | 'VALIDATION_ERROR'
  | 'INVALID_AMOUNT'
  | 'CURRENCY_NOT_SUPPORTED'
  | 'ESCROW_NOT_FOUND'
  | 'ESCROW_ALREADY_EXISTS'
  | 'OFFER_ALREADY_IN_ESCROW'
  | 'FORBIDDEN'
  | 'INVALID_STATE_TRANSITION'
  | 'DEADLINE_NOT_REACHED'
  | 'REFUND_EXCEEDS_HELD'
  | 'DISPUTE_NOT_FOUND'
  | 'DISPUTE_ALREADY_OPEN'
  | 'SETTLEMENT_NOT_FOUND'
  | 'VERSION_CONFLICT'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'AMOUNT_OUTSIDE_RAIL_LIMITS'
  | 'PAYOUT_ACCOUNT_REJECTED'
  | 'MILESTONE_NOT_FOUND'
  | 'FEATURE_DISABLED'
  | 'KYC_REQUIRED'
  | 'BLACKLISTED'
  | 'BLACKLIST_ENTRY_EXISTS'
  | 'BLACKLIST_ENTRY_NOT_FOUND'
  | 'VAULT_EMPTY'
  | 'VAULT_LOCKED'
  | 'VAULT_UNAVAILABLE'
  | 'FILE_NOT_FOUND'
  | 'FILE_TOO_LARGE'
  | 'FILE_TYPE_NOT_ALLOWED'
  | 'FILE_NOT_UPLOADED'
  | 'APPROVAL_NOT_FOUND'
  | 'SELF_APPROVAL'
  | 'APPROVAL_EXPIRED'
  | 'APPROVAL_ALREADY_DECIDED'
  | 'WEBHOOK_ENDPOINT_NOT_FOUND'
  | 'WEBHOOK_URL_REFUSED'
  | 'WEBHOOK_MESSAGE_NOT_FOUND'
  | 'WEBHOOK_MESSAGE_PENDING';

export interface FieldError {
  field: string;
  message: string;
}

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details: { errors?: FieldError[]; currentStatus?: string } = {},
  ) {
    super(message);
  }
}

export const invalid = (field: string, message: string): DomainError =>
  new DomainError('VALIDATION_ERROR', `${field}: ${message}`, { errors: [{ field, message }] });
