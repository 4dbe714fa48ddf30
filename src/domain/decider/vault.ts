import type { DecideContext } from '../commands.js';
import { DomainError, invalid } from '../errors.js';
import type { EventPayload } from '../events.js';
import { SHA256_PATTERN } from '../limits.js';
import type { Escrow, VaultKind } from '../types.js';
import { assertActor, assertStatus } from './actors.js';
import type { CommandOf } from './command.js';
import { addDays } from './deadlines.js';
import { fileRefs } from './guards.js';

// The credential vault (SPEC §3.2, seed 001): the seller seals a secret deliverable; the buyer alone reveals it, once
// the money is held; every reveal is an event; after the first reveal it can no longer change.

export const VAULT_KINDS: readonly VaultKind[] = ['CREDENTIALS', 'LICENSE_KEY', 'FILE', 'OTHER'];
const SHA256 = new RegExp(SHA256_PATTERN);

export function setVault(c: CommandOf<'SetVault'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertActor(e, ctx, ['seller'], 'set the vault');
  assertStatus(e, ['AWAIT_FUNDS', 'FUNDS_HELD', 'DELIVERED', 'DISPUTED'], 'set the vault');
  if (e.vault && e.vault.revealCount > 0) {
    throw new DomainError(
      'VAULT_LOCKED',
      `the buyer revealed the vault at ${e.vault.firstRevealedAt}: it can no longer be changed`,
    );
  }
  if (!VAULT_KINDS.includes(c.kind)) throw invalid('kind', `must be one of ${VAULT_KINDS.join(', ')}`);
  if (typeof c.fingerprint !== 'string' || !SHA256.test(c.fingerprint)) {
    throw invalid('fingerprint', 'must be the SHA-256 (hex) of the sealed secret');
  }
  const [file = null] = fileRefs(c.file === undefined ? undefined : [c.file], 'fileId');
  if (c.kind === 'FILE' && !file) throw invalid('fileId', 'is required when kind is FILE');
  return [
    {
      type: 'VaultSet',
      data: { kind: c.kind, file, fingerprint: c.fingerprint, revision: (e.vault?.revision ?? 0) + 1 },
    },
  ];
}

/**
 * The buyer reveals the vault: from FUNDS_HELD on (never before the money is held, never after it went back to the
 * buyer). With VAULT_REVEAL_STARTS_CONFIRMATION the first reveal of a held escrow counts as its delivery.
 */
export function revealVault(_c: CommandOf<'RevealVault'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertActor(e, ctx, ['buyer'], 'reveal the vault');
  assertStatus(e, ['FUNDS_HELD', 'DELIVERED', 'DISPUTED', 'RELEASED'], 'reveal the vault');
  if (!e.vault) throw new DomainError('VAULT_EMPTY', "the seller has not put anything in this escrow's vault yet");
  const events: EventPayload[] = [
    { type: 'VaultRevealed', data: { fingerprint: e.vault.fingerprint, revealCount: e.vault.revealCount + 1 } },
  ];
  const startsWindow =
    ctx.policy.vaultRevealStartsConfirmation &&
    e.vault.revealCount === 0 &&
    e.status === 'FUNDS_HELD' &&
    e.milestones.length === 0;
  if (startsWindow) {
    events.push({
      type: 'EscrowDelivered',
      data: {
        deliveryId: ctx.newId('delivery'),
        title: 'Vault revealed to the buyer',
        description: 'the buyer saw the secret deliverable; the confirmation window starts now',
        evidence: [],
        files: e.vault.file ? [e.vault.file] : [],
        autoRefundAt: addDays(ctx.now, ctx.policy.autoRefundDeadlineDays),
      },
    });
  }
  return events;
}
