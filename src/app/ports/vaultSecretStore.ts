import type { Actor } from '../../domain/index.js';
import type { SealedSecret } from './vaultCipher.js';

/** A sealed secret as stored (vault_secrets): its fingerprint names it, the escrow owns it. */
export interface StoredSecret {
  fingerprint: string;
  escrowId: string;
  sealed: SealedSecret;
}

/**
 * Sealed vault secrets (never their content): put before the SetVault command that cites the fingerprint, read to
 * reveal, re-sealed by key rotation. The escrow's vault state itself travels through the command path.
 */
export interface VaultSecretStore {
  put(secret: StoredSecret, at: string): Promise<void>;
  get(escrowId: string, fingerprint: string): Promise<StoredSecret | null>;
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
