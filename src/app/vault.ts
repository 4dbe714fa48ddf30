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
import {
  VAULT_MAX_PLAINTEXT_BYTES,
  VaultKeyUnknownError,
  type Clock,
  type HandledCommand,
  type SealedSecret,
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
    const fingerprint = fingerprintOf(sealed);
    await this.deps.secrets.put({ fingerprint, escrowId, sealed }, this.deps.clock.now().toISOString());
    return this.deps.commands.execute(
      'SetVault',
      escrowId,
      actor,
      { kind: input.kind, fingerprint, ...(input.file ? { file: input.file } : {}) },
      opts,
    );
  }

  /** The buyer's reveal: accepted (and audited) by the command path first, then opened for this answer only. */
  async reveal(actor: Actor, escrowId: string, opts: SubmitOptions = {}): Promise<Revealed> {
    const cipher = this.deps.cipher;
    if (!cipher) throw unavailable();
    const handled = await this.deps.commands.execute('RevealVault', escrowId, actor, {}, opts);
    const escrow = await this.deps.queries.asOfCommand(handled);
    const vault = escrow.vault;
    if (!vault) throw new DomainError('VAULT_EMPTY', "the seller has not put anything in this escrow's vault yet");
    const stored = await this.deps.secrets.get(escrowId, vault.fingerprint);
    if (!stored) throw new DomainError('VAULT_EMPTY', 'the sealed secret is missing from the vault store');
    return { handled, escrow, vault, secret: cipher.open(stored.sealed, vaultAad(escrowId)) };
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
    const usage = await this.deps.secrets.keyUsage();
    const byKey = Object.fromEntries(usage.map((u) => [u.keyId, u.secrets]));
    for (const u of usage) if (!cipher.knows(u.keyId)) throw new VaultKeyUnknownError(u.keyId);
    const others = usage.filter((u) => u.keyId !== cipher.currentKeyId).reduce((a, u) => a + u.secrets, 0);
    const report = {
      dryRun: input.dryRun === true,
      currentKeyId: cipher.currentKeyId,
      byKey,
      resealed: 0,
      remaining: others,
    };
    if (report.dryRun) return report;
    const at = () => this.deps.clock.now().toISOString();
    for (;;) {
      const batch = await this.deps.secrets.sealedUnder(cipher.currentKeyId, input.batch ?? 100);
      if (batch.length === 0) break;
      for (const s of batch) {
        const { sealed } = cipher.reseal(s.sealed, vaultAad(s.escrowId));
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
