/**
 * Every size limit and input pattern the engine enforces, in one place. The decider checks them; the HTTP schemas
 * (and so the OpenAPI document) are built from the same constants, so the edge and the domain cannot drift apart.
 * Patterns are strings because JSON Schema carries them that way; the domain compiles them once.
 */

/** Identifiers callers choose (offer, contract, buyer, seller): 1-128 characters, no spaces. */
export const IDENTIFIER_PATTERN = '^[A-Za-z0-9._:@-]{1,128}$';
export const IDENTIFIER_RULE = 'must be 1-128 of A-Z a-z 0-9 . _ : @ -';

/** Amounts on the wire: a digit string in minor units, no sign, decimals, exponent or leading zeros. */
export const MINOR_UNITS_PATTERN = '^(0|[1-9][0-9]{0,17})$';

/** Largest amount the engine accepts: 10^15 minor units keeps every sum far inside int8. */
export const MAX_MINOR = 10n ** 15n;

/** Longest accepted text per field, in characters after trimming. */
export const TEXT_MAX_LENGTH = {
  /** Why an escrow is cancelled, released or refunded, a dispute resolved or a payment failed. */
  reason: 500,
  /** Why a dispute is opened: a short headline, the story goes in the description. */
  disputeReason: 100,
  deliveryTitle: 200,
  description: 5000,
  transactionId: 200,
  /** What an admin cites when confirming a payment by hand. */
  paymentEvidence: 5000,
  /** One item of delivery or dispute evidence (typically a link). */
  evidenceItem: 2000,
  /** A rail's reason for a failed payout or refund. */
  settlementFailure: 1000,
} as const;

/** Items in one evidence list (a delivery's or a dispute's). */
export const MAX_EVIDENCE_ITEMS = 50;

/** Escrow metadata, measured as UTF-8 JSON, the way it is stored. */
export const METADATA_MAX_BYTES = 16 * 1024;

/** Escrows per page when listing: the default and the most a caller may ask for. */
export const PAGE_SIZE = { default: 20, max: 50 } as const;
