import { createHmac, randomBytes } from 'node:crypto';
import type { Database } from '../adapters/db/database.js';
import { SqlBlacklistStore } from '../adapters/db/blacklistStore.js';
import { SqlFileStore } from '../adapters/db/fileStore.js';
import { SqlVaultSecretStore } from '../adapters/db/vaultSecretStore.js';
import { createFileStorage } from '../adapters/storage/index.js';
import { createVaultCipher } from '../adapters/vault/aesGcmCipher.js';
import { BlacklistService } from '../app/blacklist.js';
import { BlacklistSnapshot } from '../app/blacklistSnapshot.js';
import type { EscrowQueryService } from '../app/escrowQueries.js';
import type { EscrowService } from '../app/escrowService.js';
import { FileService } from '../app/files.js';
import type { Clock } from '../app/ports/index.js';
import { VaultService } from '../app/vault.js';
import { ConfigError, type Config } from '../config/index.js';

/** What marketplaces trade with (issue 12): the blacklist, evidence and contract files, the credential vault. */
export interface MarketplaceServices {
  blacklist: BlacklistService;
  files: FileService;
  vault: VaultService;
}

export function createBlacklist(db: Database, clock: Clock): BlacklistService {
  const store = new SqlBlacklistStore(db);
  return new BlacklistService({ store, clock, snapshot: new BlacklistSnapshot(store) });
}

export function createMarketplaceServices(
  deps: { config: Config; db: Database; clock: Clock; commands: EscrowService; queries: EscrowQueryService },
  jwtSecret: () => string,
  blacklist: BlacklistService,
): MarketplaceServices {
  const { config, db, clock, commands, queries } = deps;
  const storage = createFileStorage(config.storage, {
    apiUrl: config.apiUrl,
    signingKey: urlSigningKey(config, jwtSecret),
    clock,
  });
  const files = new FileService({
    store: new SqlFileStore(db),
    storage,
    escrows: queries,
    clock,
    limits: {
      maxBytes: config.storage.maxBytes,
      allowedTypes: config.storage.allowedTypes,
      urlTtlSeconds: config.storage.urlTtlSeconds,
    },
  });
  const vault = new VaultService({
    cipher: config.vault ? createVaultCipher(config.vault) : null,
    secrets: new SqlVaultSecretStore(db),
    commands,
    queries,
    clock,
  });
  return { blacklist, files, vault };
}

/**
 * The key the local file store signs its upload and download URLs with: derived from the HS256 secret (shared by the
 * replicas that share it), or random per process under JWKS (then only this process's URLs open).
 */
function urlSigningKey(config: Config, jwtSecret: () => string): Uint8Array {
  const secret = config.http.jwksUrl && !config.http.jwtSecret ? randomBytes(32).toString('hex') : jwtSecret();
  return createHmac('sha256', secret).update('escrow-services/file-urls/v1').digest();
}

/** A missing or wrong vault key stops the engine at start (never a 500 on the first reveal). */
export async function checkVaultKeys(vault: VaultService): Promise<void> {
  const problems = await vault.check();
  if (problems.length > 0) throw new ConfigError(problems);
}
