import type { DecideContext } from '../commands.js';
import { DomainError } from '../errors.js';
import type { EventPayload } from '../events.js';
import { TEXT_MAX_LENGTH } from '../limits.js';
import type { Escrow, Settlement } from '../types.js';
import { assertActor } from './actors.js';
import type { CommandOf } from './command.js';
import { text } from './guards.js';

// Payouts and refunds after release or refund: the settlement worker reports each outcome; an admin retries failures.

export function recordSettlementResult(
  c: CommandOf<'RecordSettlementResult'>,
  e: Escrow,
  ctx: DecideContext,
): EventPayload[] {
  assertActor(e, ctx, ['system'], 'record a settlement result');
  const s = findSettlement(e, c.settlementId);
  if (s.status === 'SUCCEEDED') return []; // the provider already confirmed it; a repeat changes nothing
  if (c.outcome === 'SUCCEEDED') {
    return [
      {
        type: 'SettlementSucceeded',
        data: {
          settlementId: s.id,
          kind: s.kind,
          amount: s.amount.toString(),
          providerReference: c.providerReference ?? null,
        },
      },
    ];
  }
  if (s.status === 'FAILED') return [];
  return [
    {
      type: 'SettlementFailed',
      data: {
        settlementId: s.id,
        kind: s.kind,
        amount: s.amount.toString(),
        reason: text(c.reason ?? 'unknown', 'reason', 1, TEXT_MAX_LENGTH.settlementFailure),
      },
    },
  ];
}

export function retrySettlement(c: CommandOf<'RetrySettlement'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertActor(e, ctx, ['admin'], 'retry a settlement');
  const s = findSettlement(e, c.settlementId);
  if (s.status !== 'FAILED') {
    throw new DomainError('INVALID_STATE_TRANSITION', `cannot retry: settlement is ${s.status}`, {
      currentStatus: s.status,
    });
  }
  return [{ type: 'SettlementRetried', data: { settlementId: s.id } }];
}

function findSettlement(e: Escrow, id: string): Settlement {
  const s = e.settlements.find((x) => x.id === id);
  if (!s) throw new DomainError('SETTLEMENT_NOT_FOUND', `settlement ${String(id)} not found on escrow ${e.id}`);
  return s;
}
