import { createHash } from 'node:crypto';
import {
  DomainError,
  invalid,
  type Actor,
  type Escrow,
  type FileRef,
  type VaultKind,
  type VaultState,
} from '../domain/index.js';
import type { EscrowQueryService } from './escrowQueries.js';
import type { EscrowService, SubmitOptions } from './escrowService.js';
import { newId } from './ids.js';
import {
  ORPHAN_SECRET_MAX_AGE_MS,
  VAULT_MAX_PLAINTEXT_BYTES,
  VaultKeyUnknownError,
  VaultOpenError,
  VaultSecretMissingError,
  type Clock,
  type HandledCommand,
  type SealedSecret,
  type StoredSecret,
  type VaultCipher,
  type VaultSecretStore,
} from './ports/index.js';

/** What seals an escrow's secret to that escrow: a ciphertext copied to another escrow's row does not open there. */
export const vaultAad = (escrowId: string): string => `escrow:${escrowId}:vault`;

/** The fingerprint events cite: SHA-256 of the sealed form as first stored (rotation keeps it). */
export const fingerprintOf = (s: SealedSecret): string =>
  createHash('sha256').update(`${s.keyId}\n${s.iv}\n${s.ciphertext}\n${s.tag}`).digest('hex');

export interface Revealed {
  handled: HandledCommand;
  escrow: Escrow;
  vault: VaultState;
  secret: string;
}

export interface RotationReport {
  dryRun: boolean;
  currentKeyId: string;
  /** Secrets per key id before the run. */
  byKey: Record<string, number>;
  resealed: number;
  /** Secrets still under another key afterwards (0 unless a dry run or a concurrent seal). */
  remaining: number;
}

/**
 * The buyer's reveal was accepted (the vault is locked, the reveal counted) but the secret could not be read or
 * opened for the answer. Retrying delivers it: the same Idempotency-Key replays the reveal, a new one reveals again.
 */
export class VaultRevealNotDelivered extends Error {
  override readonly name = 'VaultRevealNotDelivered';
  constructor(
    readonly commandId: string,
    override readonly cause: unknown,
  ) {
    super(`the reveal ${commandId} was recorded but the secret could not be read for the answer; retry the reveal`);
  }
}

const unavailable = () =>
  new DomainError(
    'VAULT_UNAVAILABLE',
    'the credential vault is off on this installation: the operator sets VAULT_KEY (32 random bytes, base64) to turn it on',
  );

/**
 * The credential vault (SPEC §3.2, seed 001). The seller's secret is sealed here (AES-256-GCM, VaultCipher) and
 * stored apart from the command, which carries only its fingerprint: the secret is never in a command payload, an
 * event, the outbox, the audit log or a log line. The buyer's reveal is a command (audited, an event per reveal);
 * only once it is accepted is the secret opened, for that answer alone.
 */
export class VaultService {
  constructor(
    private readonly deps: {
      cipher: VaultCipher | null;
      secrets: VaultSecretStore;
      commands: Pick<EscrowService, 'execute'>;
      queries: Pick<EscrowQueryService, 'get' | 'asOfCommand'>;
      clock: Clock;
    },
  ) {}

  get enabled(): boolean {
    return this.deps.cipher !== null;
  }

  /**
   * What stands for the secret in an Idempotency-Key's request hash (the hash is stored: an unkeyed one of a
   * password could be brute-forced back to it). VAULT_UNAVAILABLE when the vault is off.
   */
  requestDigest(secret: string): string {
    if (!this.deps.cipher) throw unavailable();
    return this.deps.cipher.digest(secret);
  }

  async set(
    actor: Actor,
    escrowId: string,
    input: { kind: VaultKind; secret: string; file?: FileRef },
    opts: SubmitOptions = {},
  ): Promise<HandledCommand> {
    const cipher = this.deps.cipher;
    if (!cipher) throw unavailable();
    if (typeof input.secret !== 'string' || input.secret.length === 0) throw invalid('secret', 'is required');
    if (Buffer.byteLength(input.secret, 'utf8') > VAULT_MAX_PLAINTEXT_BYTES) {
      throw invalid(
        'secret',
        `must be at most ${VAULT_MAX_PLAINTEXT_BYTES} bytes (UTF-8); store a file and vault its id`,
      );
    }
    // refused before anything is stored: a stranger, the buyer, a vault already revealed (the command decides again)
    const { escrow } = await this.deps.queries.get(actor, escrowId);
    if (actor.id !== escrow.sellerId) throw new DomainError('FORBIDDEN', 'only the seller may set the vault');
    if (escrow.vault && escrow.vault.revealCount > 0) {
      throw new DomainError(
        'VAULT_LOCKED',
        `the buyer revealed the vault at ${escrow.vault.firstRevealedAt}: it can no longer be changed`,
      );
    }
    const sealed = cipher.seal(input.secret, vaultAad(escrowId));
    const stored: StoredSecret = { fingerprint: fingerprintOf(sealed), escrowId, sealed };
    const payload = { kind: input.kind, fingerprint: stored.fingerprint, ...(input.file ? { file: input.file } : {}) };
    // one command id for the retry below: it is the same command, applied at most once
    const options = { ...opts, commandId: opts.commandId ?? newId() };
    const submit = () => this.deps.commands.execute('SetVault', escrowId, actor, payload, options);
    let handled: HandledCommand;
    try {
      handled = await this.storedThen(stored, submit);
    } catch (err) {
      // refused, or not applied at all: nothing cites the secret just stored (a sweep would take it in an hour)
      if (err instanceof DomainError || err instanceof VaultSecretMissingError) await this.discard(stored);
      throw err;
    }
    // a repeat of a command already applied cites the secret of its first request, not this one
    if (handled.duplicate) await this.discard(stored);
    return handled;
  }

  /**
   * Stores the sealed secret, then submits the command citing it. Should the secret be gone when the command commits
   * (VaultSecretMissingError: removed meanwhile), it is stored again and the command retried once; a second miss is
   * thrown as it is, never recorded as the command's outcome.
   */
  private async storedThen(stored: StoredSecret, submit: () => Promise<HandledCommand>): Promise<HandledCommand> {
    await this.deps.secrets.put(stored, this.deps.clock.now().toISOString());
    try {
      return await submit();
    } catch (err) {
      if (!(err instanceof VaultSecretMissingError)) throw err;
    }
    await this.deps.secrets.put(stored, this.deps.clock.now().toISOString());
    try {
      return await submit();
    } catch (err) {
      if (!(err instanceof VaultSecretMissingError)) throw err;
      throw new VaultSecretMissingError(
        'the sealed secret was removed twice before its SetVault committed (concurrent vault changes); nothing was ' +
          'changed: set the vault again',
      );
    }
  }

  private async discard(stored: StoredSecret): Promise<void> {
    await this.deps.secrets.discard(stored.escrowId, stored.fingerprint).catch(() => undefined);
  }

  /**
   * The buyer's reveal: accepted (and audited) by the command path first, then opened for this answer only. A replay
   * of the same command (same Idempotency-Key) opens it again for the buyer alone, audited as VaultRevealReplayed.
   * Should the secret not be read once the reveal is accepted, VaultRevealNotDelivered: a retry delivers it.
   */
  async reveal(actor: Actor, escrowId: string, opts: SubmitOptions = {}): Promise<Revealed> {
    const cipher = this.deps.cipher;
    if (!cipher) throw unavailable();
    const handled = await this.deps.commands.execute('RevealVault', escrowId, actor, {}, opts).catch((err: unknown) => {
      // the vault cites a secret the store lost (restored from a backup without it?): nothing to reveal, nothing changed
      if (err instanceof VaultSecretMissingError) {
        throw new DomainError(
          'VAULT_EMPTY',
          'the sealed secret is missing from the vault store; the seller sets it again',
        );
      }
      throw err;
    });
    try {
      const escrow = await this.deps.queries.asOfCommand(handled);
      const vault = escrow.vault;
      if (!vault) throw new DomainError('VAULT_EMPTY', "the seller has not put anything in this escrow's vault yet");
      // the command id is the caller's, so a repeat is theirs; checked all the same before the secret is shown again
      if (handled.duplicate && actor.id !== escrow.buyerId) {
        throw new DomainError('FORBIDDEN', 'only the buyer may reveal the vault');
      }
      // a replay, like a reveal, never once the money went back to the buyer
      const now = handled.escrow.status;
      if (handled.duplicate && (now === 'REFUNDED' || now === 'CANCELLED')) {
        throw new DomainError(
          'INVALID_STATE_TRANSITION',
          `cannot reveal the vault: the escrow is ${now} (the money went back to the buyer)`,
        );
      }
      const stored = await this.deps.secrets.get(escrowId, vault.fingerprint);
      if (!stored) throw new DomainError('VAULT_EMPTY', 'the sealed secret is missing from the vault store');
      const secret = cipher.open(stored.sealed, vaultAad(escrowId));
      // audited before it is shown: a replay whose audit row cannot be written discloses nothing
      if (handled.duplicate) await this.auditReplay(actor, handled, vault, opts);
      return { handled, escrow, vault, secret };
    } catch (err) {
      if (err instanceof DomainError) throw err;
      throw new VaultRevealNotDelivered(handled.result.commandId, err);
    }
  }

  private auditReplay(actor: Actor, handled: HandledCommand, vault: VaultState, opts: SubmitOptions): Promise<void> {
    return this.deps.secrets.recordReplayedReveal({
      escrowId: handled.result.escrowId,
      commandId: handled.result.commandId,
      actor,
      fingerprint: vault.fingerprint,
      revealCount: vault.revealCount,
      status: handled.escrow.status,
      correlationId: opts.correlationId ?? null,
      at: this.deps.clock.now().toISOString(),
    });
  }

  /**
   * `escrow vault rotate`: every secret sealed under a previous key is opened and sealed again under VAULT_KEY, one
   * audited row each; afterwards the previous keys can be dropped. A dry run only counts.
   */
  async rotate(actor: Actor, input: { reason: string; dryRun?: boolean; batch?: number }): Promise<RotationReport> {
    const cipher = this.deps.cipher;
    if (!cipher) throw unavailable();
    const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
    if (reason.length === 0 || reason.length > 500) throw invalid('reason', 'is required (1-500 characters)');
    const at = () => this.deps.clock.now().toISOString();
    // orphans (secrets no vault cites, put over an hour ago) are not resealed: they go first
    if (input.dryRun !== true) {
      await this.deps.secrets.sweepOrphans(
        new Date(this.deps.clock.now().getTime() - ORPHAN_SECRET_MAX_AGE_MS).toISOString(),
      );
    }
    const usage = await this.deps.secrets.keyUsage();
    const byKey = Object.fromEntries(usage.map((u) => [u.keyId, u.secrets]));
    for (const u of usage)
      if (!cipher.knows(u.keyId)) throw keyUnknown(u.keyId, `${u.secrets} stored secret(s)`, 'nothing was resealed');
    const others = usage.filter((u) => u.keyId !== cipher.currentKeyId).reduce((a, u) => a + u.secrets, 0);
    const report = {
      dryRun: input.dryRun === true,
      currentKeyId: cipher.currentKeyId,
      byKey,
      resealed: 0,
      remaining: others,
    };
    if (report.dryRun) return report;
    for (;;) {
      const batch = await this.deps.secrets.sealedUnder(cipher.currentKeyId, input.batch ?? 100);
      if (batch.length === 0) break;
      for (const s of batch) {
        const { sealed } = resealed(cipher, s, report.resealed);
        if (await this.deps.secrets.reseal({ ...s, sealed }, s.sealed.keyId, { actor, reason, at: at() })) {
          report.resealed++;
        }
      }
    }
    report.remaining = 0;
    return report;
  }

  /**
   * The start-up check: every key that seals a stored secret is configured and opens one of its secrets, so a
   * missing or wrong VAULT_KEY / VAULT_KEYS_PREVIOUS stops the process at start, never a reveal at run time.
   */
  async check(): Promise<string[]> {
    const usage = await this.deps.secrets.keyUsage();
    const cipher = this.deps.cipher;
    if (!cipher) {
      return usage.length === 0
        ? []
        : [
            `VAULT_KEY: required: ${usage.reduce((a, u) => a + u.secrets, 0)} vault secrets are sealed under ` +
              `${usage.map((u) => u.keyId).join(', ')}`,
          ];
    }
    const problems: string[] = [];
    for (const u of usage) {
      if (!cipher.knows(u.keyId)) {
        problems.push(`VAULT_KEYS_PREVIOUS: key ${u.keyId} seals ${u.secrets} vault secrets but is not configured`);
        continue;
      }
      try {
        cipher.open(u.sample.sealed, vaultAad(u.sample.escrowId));
      } catch {
        problems.push(
          `VAULT_KEY / VAULT_KEYS_PREVIOUS: the key configured as ${u.keyId} does not open the secrets sealed under ${u.keyId} (a different key under the same id)`,
        );
      }
    }
    return problems;
  }
}

/** A key that seals stored secrets but is not configured: the operator's to fix, named with what to set. */
function keyUnknown(keyId: string, what: string, outcome: string): DomainError {
  const id = JSON.stringify(keyId.slice(0, 64));
  return new DomainError(
    'VAULT_UNAVAILABLE',
    `vault key ${id} seals ${what} but is not configured: add it to VAULT_KEYS_PREVIOUS (<keyId>:<key>) on every ` +
      `process, restart, and run the rotation again; ${outcome}`,
  );
}

/** One secret resealed under the current key; a secret that does not open stops the run, named by its fingerprint. */
function resealed(cipher: VaultCipher, s: StoredSecret, done: number): { sealed: SealedSecret } {
  try {
    return cipher.reseal(s.sealed, vaultAad(s.escrowId));
  } catch (err) {
    const after = `${done} secret(s) were resealed before it`;
    if (err instanceof VaultKeyUnknownError) throw keyUnknown(err.keyId, `the secret ${s.fingerprint}`, after);
    if (!(err instanceof VaultOpenError)) throw err;
    throw new DomainError(
      'VAULT_UNAVAILABLE',
      `the vault secret ${s.fingerprint} of escrow ${s.escrowId} does not open under key ${s.sealed.keyId} ` +
        `(altered, or another key under that id); ${after}, the run stopped`,
    );
  }
}
