import { Type } from 'typebox';
import { Uuid } from './common.js';
import { SuspenseApplyBody, SuspenseRefundBody } from './escrowBodies.js';
import { EscrowView } from './escrowViews.js';

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

const examplesOf = (schema: unknown): unknown[] => (schema as { examples?: unknown[] }).examples ?? [];

/** A copy of a schema without `examples` at any depth (OpenAPI 3.0 allows none inside anyOf). */
function withoutExamples<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(withoutExamples) as T;
  if (typeof schema !== 'object' || schema === null) return schema;
  const entries = Object.entries(schema).filter(([key]) => key !== 'examples');
  return Object.fromEntries(entries.map(([key, value]) => [key, withoutExamples(value)])) as T;
}

/**
 * What the suspense refund and apply routes answer: the escrow after the command, or with dryRun the events it would
 * record. The union carries the examples of both.
 */
export const SuspenseResolution = Type.Union(
  [
    withoutExamples(Type.Object(EscrowView.properties, { description: 'the escrow after the command' })),
    withoutExamples(SuspenseDryRunView),
  ],
  { examples: [...examplesOf(EscrowView), ...examplesOf(SuspenseDryRunView)] },
);
