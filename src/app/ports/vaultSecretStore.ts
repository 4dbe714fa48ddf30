import type { Actor } from '../../domain/index.js';
import type { SealedSecret } from './vaultCipher.js';

/** A sealed secret as stored (vault_secrets): its fingerprint names it, the escrow owns it. */
export interface StoredSecret {
  fingerprint: string;
  escrowId: string;
  sealed: SealedSecret;
}

/**
 * A stored secret that no escrow's vault cites is an orphan once it is this old (8 days): it was put for a SetVault
 * that was refused, never committed, or answered as a repeat. Younger ones may still be cited by a command in flight
 * (in Kafka mode a command may wait on the commands topic as long as its retention, 7 days by default).
 */
export const ORPHAN_SECRET_MAX_AGE_MS = 8 * 86_400_000;

/** A replay of a reveal (the same command id) disclosed the secret again: audited, never with the secret. */
export interface ReplayedReveal {
  escrowId: string;
  /** The reveal command replayed. */
  commandId: string;
  actor: Actor;
  fingerprint: string;
  /** The reveal count the replayed command recorded. */
  revealCount: number;
  /** The escrow's status when the replay was answered. */
  status: string;
  correlationId: string | null;
  at: string;
}

/**
 * Sealed vault secrets (never their content): put before the SetVault command that cites the fingerprint, read to
 * reveal, re-sealed by key rotation. The escrow's vault state itself travels through the command path.
 */
export interface VaultSecretStore {
  /** Stores a sealed secret (again: a no-op) and drops this escrow's orphans older than ORPHAN_SECRET_MAX_AGE_MS. */
  put(secret: StoredSecret, at: string): Promise<void>;
  get(escrowId: string, fingerprint: string): Promise<StoredSecret | null>;
  /** Deletes one secret unless the escrow's vault cites it (its SetVault was refused or was a repeat). */
  discard(escrowId: string, fingerprint: string): Promise<void>;
  /** Deletes every escrow's orphans put before `before`; how many. */
  sweepOrphans(before: string): Promise<number>;
  /** The audit row of a reveal answered again from its command record. */
  recordReplayedReveal(replay: ReplayedReveal): Promise<void>;
  /** How many secrets each key id seals (start-up check, `escrow vault rotate --dry-run`). */
  keyUsage(): Promise<{ keyId: string; secrets: number; sample: StoredSecret }[]>;
  /** Secrets sealed under any key but `currentKeyId`, oldest first. */
  sealedUnder(notKeyId: string, limit: number): Promise<StoredSecret[]>;
  /** Replaces one secret's sealed form (same fingerprint) if it is still sealed under `fromKeyId`; audited. */
  reseal(
    secret: StoredSecret,
    fromKeyId: string,
    audit: { actor: Actor; reason: string; at: string },
  ): Promise<boolean>;
}

/**
 * A SetVault whose sealed secret was not in vault_secrets when it committed (escrow_commit's ES404): it was removed
 * meanwhile (an orphan sweep, or a concurrent change). Not a decision about the command, so never its recorded
 * outcome: the vault service stores the secret again and retries once; nothing was changed.
 */
export class VaultSecretMissingError extends Error {
  override readonly name = 'VaultSecretMissingError';
}
