import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ACTOR_NAMES, EscrowRun, actors, createCommand, thenThrows, when } from '../../../test/domainFixtures.js';
import type { EscrowPolicy } from '../commands.js';
import { DomainError } from '../errors.js';
import { evolve } from '../evolve.js';
import { DEFAULT_POLICY } from '../policy.js';
import { STATUSES, type Escrow, type EscrowStatus } from '../types.js';
import { inStatus } from './decider.kit.js';

const FP = 'a1'.repeat(32);
const FP2 = 'b2'.repeat(32);

/** The escrow of `status` with the seller's secret in the vault. */
function withVault(status: EscrowStatus): Escrow {
  const e = inStatus(status);
  return evolve(e, {
    type: 'VaultSet',
    data: { kind: 'CREDENTIALS', file: null, fingerprint: FP, revision: 1 },
    occurredAt: e.updatedAt,
    actorId: e.sellerId,
    escrowId: e.id,
  });
}

const REVEALABLE: readonly EscrowStatus[] = ['FUNDS_HELD', 'DELIVERED', 'DISPUTED', 'RELEASED'];

void describe('the vault is never readable before funding or by anyone but the buyer', () => {
  void it('property: a reveal is accepted exactly for the buyer, from FUNDS_HELD on (not after a refund)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...STATUSES), fc.constantFrom(...ACTOR_NAMES), (status, name) => {
        const e = withVault(status);
        const reveal = () => when(e, { type: 'RevealVault' }, { actor: actors[name] });
        if (name === 'buyer' && REVEALABLE.includes(status)) {
          const events = reveal();
          assert.equal(events[0]!.type, 'VaultRevealed');
          return;
        }
        assert.throws(reveal, (err: unknown) => {
          assert.ok(err instanceof DomainError);
          const expected =
            name === 'stranger' ? 'ESCROW_NOT_FOUND' : name === 'buyer' ? 'INVALID_STATE_TRANSITION' : 'FORBIDDEN';
          assert.equal(err.code, expected, `${name} on ${status}: ${err.message}`);
          return true;
        });
      }),
      { numRuns: 200 },
    );
  });

  void it('an empty vault answers VAULT_EMPTY to the buyer', () => {
    thenThrows(() => when(inStatus('FUNDS_HELD'), { type: 'RevealVault' }, { actor: actors.buyer }), 'VAULT_EMPTY');
  });
});

void describe('setting the vault', () => {
  void it('the seller may set and replace it until the first reveal; then it is locked', () => {
    const run = new EscrowRun();
    run.run(actors.buyer, createCommand());
    run.run(actors.seller, { type: 'SetVault', kind: 'LICENSE_KEY', fingerprint: FP });
    run.run(actors.seller, { type: 'SetVault', kind: 'LICENSE_KEY', fingerprint: FP2 });
    assert.equal(run.escrow.vault?.revision, 2);
    thenThrows(() => run.run(actors.buyer, { type: 'RevealVault' }), 'INVALID_STATE_TRANSITION');
    run.run(actors.system, {
      type: 'ReceivePayment',
      providerEventId: 'e',
      transactionId: 't',
      amount: '10320',
      currency: 'USD',
    });
    run.run(actors.buyer, { type: 'RevealVault' });
    run.run(actors.buyer, { type: 'RevealVault' });
    assert.equal(run.escrow.vault?.revealCount, 2);
    assert.equal(run.escrow.vault?.fingerprint, FP2);
    const err = thenThrows(
      () => run.run(actors.seller, { type: 'SetVault', kind: 'OTHER', fingerprint: FP }),
      'VAULT_LOCKED',
    );
    assert.match(err.message, /revealed the vault at/);
  });

  void it('only the seller sets it, with a SHA-256 fingerprint, a known kind, and a file for kind FILE', () => {
    const e = inStatus('FUNDS_HELD');
    for (const name of ['buyer', 'admin', 'service', 'system'] as const) {
      thenThrows(
        () => when(e, { type: 'SetVault', kind: 'OTHER', fingerprint: FP }, { actor: actors[name] }),
        'FORBIDDEN',
      );
    }
    const seller = { actor: actors.seller };
    thenThrows(() => when(e, { type: 'SetVault', kind: 'OTHER', fingerprint: 'abc' }, seller), 'VALIDATION_ERROR');
    thenThrows(
      () => when(e, { type: 'SetVault', kind: 'SECRET' as never, fingerprint: FP }, seller),
      'VALIDATION_ERROR',
    );
    thenThrows(() => when(e, { type: 'SetVault', kind: 'FILE', fingerprint: FP }, seller), 'VALIDATION_ERROR');
    thenThrows(
      () => when(inStatus('RELEASED'), { type: 'SetVault', kind: 'OTHER', fingerprint: FP }, seller),
      'INVALID_STATE_TRANSITION',
    );
  });

  void it('with VAULT_REVEAL_STARTS_CONFIRMATION the first reveal of a held escrow starts the confirmation window', () => {
    const policy: EscrowPolicy = { ...DEFAULT_POLICY, vaultRevealStartsConfirmation: true };
    const e = withVault('FUNDS_HELD');
    const events = when(e, { type: 'RevealVault' }, { actor: actors.buyer, policy });
    assert.deepEqual(
      events.map((x) => x.type),
      ['VaultRevealed', 'EscrowDelivered'],
    );
    const off = when(e, { type: 'RevealVault' }, { actor: actors.buyer });
    assert.deepEqual(
      off.map((x) => x.type),
      ['VaultRevealed'],
    );
  });
});

void describe('KYC gating on create', () => {
  const gated: EscrowPolicy = {
    ...DEFAULT_POLICY,
    kyc: { enabled: true, thresholds: { USD: 5_000n }, minimumTier: 1 },
  };
  const create =
    (kyc: { buyer?: number; seller?: number } | undefined, amount = '10000', policy = gated) =>
    () =>
      new EscrowRun().run(actors.buyer, createCommand({ amount, ...(kyc ? { kyc } : {}) }), policy);

  void it('refuses an escrow above the threshold naming each party below tier 1 and what is needed', () => {
    const err = thenThrows(create({ buyer: 0 }), 'KYC_REQUIRED');
    assert.match(err.message, /above 5000 \(50\.00 USD\) need both parties at KYC tier 1/);
    assert.match(err.message, /the buyer buyer-1 is at KYC tier 0; tier 1 or higher is needed/);
    assert.match(err.message, /the seller seller-1's KYC tier is unknown/);
    assert.deepEqual(
      err.details.errors?.map((x) => x.field),
      ['buyerKycTier', 'sellerKycTier'],
    );
  });

  void it('accepts both parties at tier ≥ 1, amounts at the threshold, other currencies, and gating off', () => {
    assert.doesNotThrow(create({ buyer: 1, seller: 2 }));
    assert.doesNotThrow(create(undefined, '5000'));
    assert.doesNotThrow(create(undefined, '10000', { ...gated, kyc: { ...gated.kyc, enabled: false } }));
    assert.doesNotThrow(create(undefined, '10000', { ...gated, kyc: { ...gated.kyc, thresholds: { EUR: 1n } } }));
  });
});
