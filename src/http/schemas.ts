import { Type, type Static } from 'typebox';

/** Digit strings in minor units: JSON never carries money as a number. */
export const Minor = Type.String({
  pattern: '^(0|[1-9][0-9]{0,17})$',
  description: 'minor units, digits only',
  examples: ['10000'],
});
const Id = Type.String({ pattern: '^[A-Za-z0-9._:@-]{1,128}$', examples: ['user-42'] });
export const Uuid = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  examples: ['0190f0c8-0000-7000-8000-000000000001'],
});
const Text = (max: number, min = 0) => Type.String({ minLength: min, maxLength: max });
const Evidence = Type.Array(Text(2000, 1), { maxItems: 50 });
const Iso = Type.String({ format: 'date-time', examples: ['2026-11-23T10:00:00.000Z'] });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const Rail = Type.Union([
  Type.Literal('SANDBOX'),
  Type.Literal('STRIPE'),
  Type.Literal('USDC_BASE'),
  Type.Literal('PAYSTACK'),
]);
export const Status = Type.Union(
  ['AWAIT_FUNDS', 'FUNDS_HELD', 'DELIVERED', 'DISPUTED', 'RELEASED', 'REFUNDED', 'CANCELLED'].map((s) =>
    Type.Literal(s),
  ),
);

export const CreateEscrowBody = Type.Object(
  {
    offerId: Id,
    contractId: Type.Optional(Id),
    buyerId: Id,
    sellerId: Id,
    rail: Rail,
    currency: Type.String({ pattern: '^[A-Z]{3,5}$', examples: ['USD'] }),
    amount: Minor,
    buyerFee: Type.Optional(Minor),
    sellerFee: Type.Optional(Minor),
    metadata: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  {
    additionalProperties: false,
    examples: [
      {
        offerId: 'offer-1001',
        buyerId: 'buyer-1',
        sellerId: 'seller-1',
        rail: 'SANDBOX',
        currency: 'USD',
        amount: '10000',
      },
    ],
  },
);
export type CreateEscrowBody = Static<typeof CreateEscrowBody>;

const strict = <P extends Parameters<typeof Type.Object>[0]>(props: P, example: Record<string, unknown>) =>
  Type.Object(props, { additionalProperties: false, examples: [example] });

export const CancelBody = strict({ reason: Type.Optional(Text(500)) }, { reason: 'Buyer changed their mind' });
export const ConfirmPaymentBody = strict(
  { transactionId: Text(200, 1), evidence: Text(5000, 1) },
  { transactionId: 'wire-2026-11-23-0042', evidence: 'Bank statement line 14' },
);
export const MarkDeliveredBody = strict(
  { title: Text(200, 1), description: Type.Optional(Text(5000)), evidence: Type.Optional(Evidence) },
  { title: 'Account credentials sent', evidence: ['https://files.example/delivery-1.png'] },
);
export const EmptyBody = Type.Object({}, { additionalProperties: false, examples: [{}] });
export const ReleaseBody = strict({ reason: Type.Optional(Text(500)) }, { reason: 'Verified delivery' });
export const RefundBody = strict(
  { refundAmount: Type.Optional(Minor), reason: Text(500, 1) },
  { refundAmount: '2500', reason: 'One item missing' },
);
export const DisputeBody = strict(
  { reason: Text(100, 1), description: Type.Optional(Text(5000)), evidence: Type.Optional(Evidence) },
  { reason: 'Not as described', description: 'The account was banned', evidence: ['https://files.example/ban.png'] },
);
export const ResolveBody = strict(
  {
    resolution: Type.Union([Type.Literal('RELEASE'), Type.Literal('REFUND'), Type.Literal('SPLIT')]),
    buyerAmount: Type.Optional(Minor),
    reason: Text(500, 1),
  },
  { resolution: 'SPLIT', buyerAmount: '4000', reason: 'Partial delivery' },
);
export const TimeoutsBody = strict({ dryRun: Type.Optional(Type.Boolean()) }, { dryRun: true });

export const EscrowParams = Type.Object({ id: Uuid }, { additionalProperties: false });
export const DisputeParams = Type.Object({ id: Uuid, disputeId: Uuid }, { additionalProperties: false });
export const SettlementParams = Type.Object({ id: Uuid, settlementId: Uuid }, { additionalProperties: false });

export const ListQuery = Type.Object(
  {
    status: Type.Optional(Status),
    rail: Type.Optional(Rail),
    buyerId: Type.Optional(Id),
    sellerId: Type.Optional(Id),
    createdFrom: Type.Optional(Iso),
    createdTo: Type.Optional(Iso),
    // query values are strings; the range (1-50, default 20) is checked by the service
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', examples: ['20'] })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export const GetQuery = Type.Object(
  { include: Type.Optional(Type.String({ pattern: '^(events|ledger|audit)(,(events|ledger|audit))*$' })) },
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

const Delivery = Type.Object({
  id: Uuid,
  title: Type.String(),
  description: Nullable(Type.String()),
  evidence: Type.Array(Type.String()),
  deliveredBy: Type.String(),
  createdAt: Iso,
});
export const DisputeView = Type.Object(
  {
    id: Uuid,
    openedBy: Type.String(),
    reason: Type.String(),
    description: Nullable(Type.String()),
    evidence: Type.Array(Type.String()),
    status: Type.String({ examples: ['OPEN'] }),
    reviewerId: Nullable(Type.String()),
    resolution: Nullable(Type.String()),
    buyerAmount: Nullable(Minor),
    resolutionReason: Nullable(Type.String()),
    createdAt: Iso,
    resolvedAt: Nullable(Iso),
  },
  {
    examples: [
      {
        id: '0190f0c8-0000-7000-8000-0000000000d1',
        openedBy: 'buyer-1',
        reason: 'Not as described',
        description: 'The account was banned',
        evidence: ['https://files.example/ban.png'],
        status: 'OPEN',
        reviewerId: null,
        resolution: null,
        buyerAmount: null,
        resolutionReason: null,
        createdAt: '2026-11-23T10:00:00.000Z',
        resolvedAt: null,
      },
    ],
  },
);
const Settlement = Type.Object({
  id: Uuid,
  kind: Type.String({ examples: ['PAYOUT'] }),
  amount: Minor,
  currency: Type.String(),
  beneficiaryId: Type.String(),
  status: Type.String({ examples: ['PENDING'] }),
  providerReference: Nullable(Type.String()),
  failureReason: Nullable(Type.String()),
  createdAt: Iso,
  completedAt: Nullable(Iso),
});
const Payment = Type.Object(
  {
    reference: Type.String(),
    payUrl: Type.Optional(Type.String()),
    clientSecret: Type.Optional(Type.String()),
    depositAddress: Type.Optional(Type.String()),
  },
  {
    examples: [
      {
        reference: 'sbx_0190f0c800007000800000000000000a',
        payUrl: 'http://localhost:3000/api/sandbox/payments/sbx_0190f0c800007000800000000000000a/succeed',
      },
    ],
  },
);

export const EscrowView = Type.Object(
  {
    id: Uuid,
    offerId: Type.String(),
    contractId: Nullable(Type.String()),
    buyerId: Type.String(),
    sellerId: Type.String(),
    rail: Rail,
    currency: Type.String(),
    amount: Minor,
    buyerFee: Minor,
    sellerFee: Minor,
    status: Status,
    version: Type.Integer(),
    expiresAt: Iso,
    autoRefundAt: Nullable(Iso),
    metadata: Type.Object({}, { additionalProperties: true }),
    payment: Payment,
    fundedAmount: Minor,
    releasedAmount: Minor,
    refundedAmount: Minor,
    feeAmount: Minor,
    fundingTransactionId: Nullable(Type.String()),
    refundType: Nullable(Type.String()),
    cancelReason: Nullable(Type.String()),
    flaggedForReview: Type.Boolean(),
    createdAt: Iso,
    updatedAt: Iso,
    deliveries: Type.Array(Delivery),
    disputes: Type.Array(DisputeView),
    settlements: Type.Array(Settlement),
  },
  {
    examples: [
      {
        id: '0190f0c8-0000-7000-8000-00000000000a',
        offerId: 'offer-1001',
        contractId: null,
        buyerId: 'buyer-1',
        sellerId: 'seller-1',
        rail: 'SANDBOX',
        currency: 'USD',
        amount: '10000',
        buyerFee: '0',
        sellerFee: '0',
        status: 'AWAIT_FUNDS',
        version: 1,
        expiresAt: '2026-11-30T10:00:00.000Z',
        autoRefundAt: null,
        metadata: {},
        payment: { reference: 'sbx_0190f0c800007000800000000000000a' },
        fundedAmount: '0',
        releasedAmount: '0',
        refundedAmount: '0',
        feeAmount: '0',
        fundingTransactionId: null,
        refundType: null,
        cancelReason: null,
        flaggedForReview: false,
        createdAt: '2026-11-23T10:00:00.000Z',
        updatedAt: '2026-11-23T10:00:00.000Z',
        deliveries: [],
        disputes: [],
        settlements: [],
      },
    ],
  },
);

const EventView = Type.Object({
  eventId: Uuid,
  type: Type.String(),
  escrowId: Uuid,
  sequence: Type.Integer(),
  occurredAt: Iso,
  correlationId: Nullable(Type.String()),
  causationId: Nullable(Type.String()),
  actor: Type.Object({ id: Type.String(), role: Type.String() }),
  schemaVersion: Type.Integer(),
  commandId: Uuid,
  data: Type.Object({}, { additionalProperties: true }),
});
const LedgerView = Type.Object({
  transactionId: Uuid,
  account: Type.String(),
  amount: Type.String({ pattern: '^-?[0-9]+$' }),
  currency: Type.String(),
  createdAt: Iso,
});
const AuditView = Type.Object({
  id: Type.String(),
  actorId: Type.String(),
  actorRole: Type.String(),
  action: Type.String(),
  commandId: Nullable(Type.String()),
  fromStatus: Nullable(Type.String()),
  toStatus: Nullable(Type.String()),
  details: Type.Object({}, { additionalProperties: true }),
  createdAt: Iso,
});
export const EscrowDetailsView = Type.Object(
  {
    ...EscrowView.properties,
    events: Type.Optional(Type.Array(EventView)),
    ledger: Type.Optional(Type.Array(LedgerView)),
    audit: Type.Optional(Type.Array(AuditView)),
  },
  { examples: (EscrowView as unknown as { examples: unknown[] }).examples },
);
export const EscrowList = Type.Object(
  { data: Type.Array(EscrowView), nextCursor: Nullable(Type.String()) },
  {
    examples: [
      {
        data: (EscrowView as unknown as { examples: unknown[] }).examples,
        nextCursor: 'WyIyMDI2LTExLTIzVDEwOjAwOjAwLjAwMFoiLCIwMTkwZjBjOC0wMDAwLTcwMDAtODAwMC0wMDAwMDAwMDAwMGEiXQ',
      },
    ],
  },
);

export const CommandView = Type.Object(
  {
    commandId: Uuid,
    escrowId: Uuid,
    type: Type.String(),
    status: Type.Union([Type.Literal('SUCCEEDED'), Type.Literal('FAILED'), Type.Literal('PENDING')], {
      description: 'SUCCEEDED (applied), FAILED (refused: see error; nothing changed) or PENDING (not processed yet)',
    }),
    fromStatus: Type.Optional(Nullable(Type.String())),
    toStatus: Type.Optional(Type.String()),
    version: Type.Optional(Type.Integer()),
    eventIds: Type.Optional(Type.Array(Uuid)),
    error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
  },
  {
    examples: [
      {
        commandId: '0190f0c8-0000-7000-8000-0000000000c1',
        escrowId: '0190f0c8-0000-7000-8000-00000000000a',
        type: 'MarkDelivered',
        status: 'SUCCEEDED',
        fromStatus: 'FUNDS_HELD',
        toStatus: 'DELIVERED',
        version: 3,
        eventIds: ['0190f0c8-0000-7000-8000-0000000000e1'],
      },
      {
        commandId: '0190f0c8-0000-7000-8000-0000000000c2',
        escrowId: '0190f0c8-0000-7000-8000-00000000000a',
        type: 'ConfirmDelivery',
        status: 'FAILED',
        error: { code: 'INVALID_STATE_TRANSITION', message: 'ConfirmDelivery is not allowed in status FUNDS_HELD' },
      },
    ],
  },
);

export const CommandAccepted = Type.Object(
  { commandId: Uuid, status: Type.Literal('PENDING') },
  {
    description:
      'Kafka mode: the command is on the broker but its outcome did not arrive within COMMAND_REPLY_TIMEOUT_MS. ' +
      'Poll the Location (GET /api/commands/{id}); retrying the request with the same Idempotency-Key is safe.',
    examples: [{ commandId: '0190f0c8-0000-7000-8000-0000000000c1', status: 'PENDING' }],
  },
);

export const ProblemView = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.String(),
    code: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
    currentStatus: Type.Optional(Type.String()),
  },
  {
    examples: [
      {
        type: 'https://escrow-services.dev/problems/invalid-state-transition',
        title: 'Conflict',
        status: 409,
        detail: 'cannot confirm delivery: escrow is FUNDS_HELD (allowed from DELIVERED)',
        instance: '/api/escrow/0190f0c8-0000-7000-8000-00000000000a/confirm-delivery',
        code: 'INVALID_STATE_TRANSITION',
        currentStatus: 'FUNDS_HELD',
      },
    ],
  },
);

export const WebhookAck = Type.Object(
  { received: Type.Boolean(), status: Type.String(), outcome: Type.Optional(Type.String()) },
  { examples: [{ received: true, status: 'processed', outcome: 'FUNDS_HELD' }] },
);

export const TimeoutsSummary = Type.Object(
  {
    expired: Type.Integer(),
    deliveryTimeouts: Type.Integer(),
    skipped: Type.Integer(),
    due: Type.Array(Type.Object({ kind: Type.String(), escrowId: Type.String(), deadline: Type.String() })),
  },
  {
    examples: [
      {
        expired: 1,
        deliveryTimeouts: 0,
        skipped: 0,
        due: [
          {
            kind: 'PAYMENT_DEADLINE',
            escrowId: '0190f0c8-0000-7000-8000-00000000000a',
            deadline: '2026-11-30T10:00:00.000Z',
          },
        ],
      },
    ],
  },
);

const Check = Type.Object({
  status: Type.String(),
  latency_ms: Type.Optional(Type.Number()),
  detail: Type.Optional(Type.String()),
});
export const HealthView = Type.Object(
  {
    status: Type.String(),
    timestamp: Type.Optional(Type.String()),
    version: Type.Optional(Type.String()),
    uptime_seconds: Type.Optional(Type.Integer()),
    checks: Type.Optional(Type.Record(Type.String(), Check)),
  },
  {
    examples: [
      {
        status: 'ok',
        timestamp: '2026-11-23T10:00:00.000Z',
        version: '0.1.0',
        uptime_seconds: 42,
        checks: { database: { status: 'ok', latency_ms: 0.8 }, outbox: { status: 'ok', detail: '0 unpublished' } },
      },
    ],
  },
);

/** An error response as OpenAPI shows it: application/problem+json. */
// In the explicit `content` form @fastify/swagger passes the schema through as is, so the OpenAPI 3.0 `example`
// keyword is set here instead of JSON Schema's `examples`.
const { examples: problemExamples, ...problemSchema } = ProblemView as unknown as { examples: unknown[] } & Record<
  string,
  unknown
>;
export const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { ...problemSchema, example: problemExamples[0] } } },
});
export const problems = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, problemResponse(`problem+json (${c})`)]));

export const WebhookBody = Type.Object(
  {},
  {
    additionalProperties: true,
    examples: [
      {
        id: 'evt_0190f0c8',
        type: 'payment.succeeded',
        created: 1795400000,
        data: {
          reference: 'sbx_0190f0c800007000800000000000000a',
          transactionId: 'sbx_txn_1',
          amount: '10000',
          currency: 'USD',
        },
      },
    ],
  },
);
