import { Type } from 'typebox';
import { Uuid } from './common.js';
import { SuspenseApplyBody, SuspenseRefundBody } from './escrowBodies.js';

// The suspense routes' bodies with their dry run, and what a dry run answers (POST /api/admin/suspense/{id}/…).

const ESCROW = '0190f0c8-0000-7000-8000-00000000000a';

const suspenseDryRun = Type.Optional(
  Type.Boolean({
    description: 'decide it and answer the events it would record, changing nothing (no key needed)',
  }),
);

export const SuspenseRefundRequest = Type.Object(
  { ...SuspenseRefundBody.properties, dryRun: suspenseDryRun },
  {
    additionalProperties: false,
    examples: [
      { reason: 'Buyer paid in the wrong currency; refunded' },
      { reason: 'Buyer paid in the wrong currency; refunded', dryRun: true },
    ],
  },
);

export const SuspenseApplyRequest = Type.Object(
  { ...SuspenseApplyBody.properties, dryRun: suspenseDryRun },
  {
    additionalProperties: false,
    examples: [
      { reason: 'Buyer topped up; both transfers confirmed', alsoApply: ['0190f0c8-0000-7000-8000-0000000005a2'] },
      { reason: 'Buyer topped up', alsoApply: ['0190f0c8-0000-7000-8000-0000000005a2'], dryRun: true },
    ],
  },
);

export const SuspenseDryRunView = Type.Object(
  {
    dryRun: Type.Literal(true),
    escrowId: Uuid,
    events: Type.Array(Type.Object({ type: Type.String(), data: Type.Object({}, { additionalProperties: true }) }), {
      description: 'the events the command would record (ids shown as dry-run:…)',
    }),
  },
  {
    description: 'A suspense refund or apply with dryRun: what it would record; nothing was changed.',
    examples: [
      {
        dryRun: true,
        escrowId: ESCROW,
        events: [
          {
            type: 'SuspenseRefunded',
            data: {
              suspenseId: '0190f0c8-0000-7000-8000-0000000005a1',
              amount: '9000',
              currency: 'USD',
              reason: 'Buyer paid in the wrong currency; refunded',
              settlement: {
                id: 'dry-run:settlement:suspense-refund:0190f0c8-0000-7000-8000-0000000005a1',
                kind: 'REFUND',
                amount: '9000',
                currency: 'USD',
                beneficiaryId: 'buyer-1',
              },
            },
          },
        ],
      },
    ],
  },
);
