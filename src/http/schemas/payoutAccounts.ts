import { Type } from 'typebox';
import { Rail, Uuid } from './common.js';

// Sellers' payout accounts (PUT/GET /api/sellers/{sellerId}/payout-accounts) and the settlements waiting for one.

const AT = '2026-12-02T10:00:00.000Z';

export const PayoutAccountParams = Type.Object({
  sellerId: Type.String({ minLength: 1, maxLength: 128, examples: ['seller-17'] }),
  rail: Type.String({ minLength: 1, maxLength: 16, examples: ['STRIPE'] }),
});

export const SellerParams = Type.Object({
  sellerId: Type.String({ minLength: 1, maxLength: 128, examples: ['seller-17'] }),
});

export const PayoutAccountBody = Type.Object(
  {
    accountId: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'STRIPE: a connected account acct_…; PAYSTACK: a transfer recipient RCP_…; USDC_BASE: a wallet 0x…',
    }),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'kept in the audit log' })),
    dryRun: Type.Optional(Type.Boolean({ description: 'check the account at the provider and store nothing' })),
  },
  {
    additionalProperties: false,
    examples: [
      { accountId: 'acct_1Nv0FGQ9RKHgCVdK', reason: 'seller onboarded' },
      { accountId: 'RCP_x7k2m9q1', dryRun: true },
    ],
  },
);

export const PayoutAccountView = Type.Object({
  sellerId: Type.String(),
  rail: Rail,
  accountId: Type.String(),
  detail: Type.Union([Type.String(), Type.Null()], { description: 'what the provider said about the account' }),
  registeredBy: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

const ACCOUNT_EXAMPLE = {
  sellerId: 'seller-17',
  rail: 'STRIPE',
  accountId: 'acct_1Nv0FGQ9RKHgCVdK',
  detail: 'transfers active',
  registeredBy: 'marketplace-svc',
  createdAt: AT,
  updatedAt: AT,
};

export const PayoutAccountRegistration = Type.Object(
  {
    account: PayoutAccountView,
    previousAccountId: Type.Union([Type.String(), Type.Null()]),
    wokenSettlements: Type.Integer({ description: 'payouts that waited for this account and are due now' }),
    dryRun: Type.Boolean(),
  },
  { examples: [{ account: ACCOUNT_EXAMPLE, previousAccountId: null, wokenSettlements: 1, dryRun: false }] },
);

export const PayoutAccountList = Type.Object(
  { items: Type.Array(PayoutAccountView) },
  { examples: [{ items: [ACCOUNT_EXAMPLE] }] },
);

export const WaitingSettlementsQuery = Type.Object({
  waitingFor: Type.Optional(Type.Union([Type.Literal('PAYOUT_ACCOUNT'), Type.Literal('PROVIDER')])),
  limit: Type.Optional(Type.String({ pattern: '^([1-9][0-9]{0,2}|1000)$', description: '1-1000, default 100' })),
});

export const WaitingSettlementList = Type.Object(
  {
    items: Type.Array(
      Type.Object({
        settlementId: Uuid,
        escrowId: Uuid,
        rail: Rail,
        kind: Type.Union([Type.Literal('PAYOUT'), Type.Literal('REFUND')]),
        amount: Type.String(),
        currency: Type.String(),
        beneficiaryId: Type.String(),
        waitingFor: Type.Union([Type.Literal('PAYOUT_ACCOUNT'), Type.Literal('PROVIDER')]),
        note: Type.Union([Type.String(), Type.Null()]),
        submittedReference: Type.Union([Type.String(), Type.Null()]),
        createdAt: Type.String(),
        nextCheckAt: Type.String(),
      }),
    ),
  },
  {
    examples: [
      {
        items: [
          {
            settlementId: '0190f0c8-0000-7000-8000-0000000000c1',
            escrowId: '0190f0c8-0000-7000-8000-00000000000a',
            rail: 'STRIPE',
            kind: 'PAYOUT',
            amount: '9950',
            currency: 'USD',
            beneficiaryId: 'seller-17',
            waitingFor: 'PAYOUT_ACCOUNT',
            note:
              'WAITING_FOR_PAYOUT_ACCOUNT: seller seller-17 has no STRIPE payout account; register it with ' +
              'PUT /api/sellers/seller-17/payout-accounts/STRIPE',
            submittedReference: null,
            createdAt: AT,
            nextCheckAt: '2026-12-02T11:00:00.000Z',
          },
        ],
      },
    ],
  },
);
