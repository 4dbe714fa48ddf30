import { Type } from 'typebox';
import { PAGE_SIZE } from '../../domain/index.js';
import { Id, Iso, Rail, Status, Uuid, saying } from './common.js';

// Path parameters, query strings and headers.

export const EscrowParams = Type.Object({ id: Uuid }, { additionalProperties: false });
export const DisputeParams = Type.Object({ id: Uuid, disputeId: Uuid }, { additionalProperties: false });
export const SettlementParams = Type.Object({ id: Uuid, settlementId: Uuid }, { additionalProperties: false });
export const MilestoneParams = Type.Object({ id: Uuid, milestoneId: Uuid }, { additionalProperties: false });
export const SuspenseParams = Type.Object({ suspenseId: Uuid }, { additionalProperties: false });
export const SuspenseListQuery = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal('OPEN'), Type.Literal('REFUNDED'), Type.Literal('APPLIED')])),
    escrowId: Type.Optional(Uuid),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3,5}$', examples: ['USD'] })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', examples: [String(PAGE_SIZE.default)] })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const ListQuery = Type.Object(
  {
    status: Type.Optional(Status),
    rail: Type.Optional(Rail),
    buyerId: Type.Optional(Id),
    sellerId: Type.Optional(Id),
    createdFrom: Type.Optional(Iso),
    createdTo: Type.Optional(Iso),
    flagged: Type.Optional(
      Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'by review flag (admin only)' }),
    ),
    // query values are strings; the range (1 to PAGE_SIZE.max, default PAGE_SIZE.default) is checked by the service,
    // in the same words as a value the pattern refuses
    limit: Type.Optional(
      Type.String({
        pattern: '^[0-9]{1,3}$',
        examples: [String(PAGE_SIZE.default)],
        ...saying(`must be 1-${PAGE_SIZE.max}`),
      }),
    ),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export const GetQuery = Type.Object(
  {
    include: Type.Optional(
      Type.String({
        pattern: '^(events|ledger|audit)(,(events|ledger|audit))*$',
        ...saying('must be events, ledger or audit, or several of them separated by commas'),
      }),
    ),
  },
  { additionalProperties: false },
);

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7e]+$',
      description:
        'Per caller. A retry with the same key and request replays the first answer (Idempotent-Replayed: true) ' +
        'for IDEMPOTENCY_TTL_HOURS; another request with the key is 422 IDEMPOTENCY_KEY_REUSED; while the first ' +
        'is still in progress on another replica, 409 IDEMPOTENCY_KEY_IN_FLIGHT. A key never applies twice.',
      examples: ['order-7f3a-confirm-1'],
    }),
  ),
});
