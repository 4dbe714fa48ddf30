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
import type { Check } from '../app/operations.js';
import type { Clock, FileStorage } from '../app/ports/index.js';
import { VaultService } from '../app/vault.js';
import { ConfigError, type Config } from '../config/index.js';

/** What marketplaces trade with (issue 12): the blacklist, evidence and contract files, the credential vault. */
export interface MarketplaceServices {
  blacklist: BlacklistService;
  files: FileService;
  /** The store under `files` (/health asks it). */
  fileStorage: FileStorage;
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
  return { blacklist, files, fileStorage: storage, vault };
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

/** How long /health reuses the file store's answer (a probe write or an S3 HeadBucket per scrape is too many). */
const FILE_CHECK_TTL_MS = 15_000;

/**
 * The evidence and contract file store: degraded, not down, when it fails (escrows go on; uploads, downloads and a
 * vault's file do not). Asked at most every FILE_CHECK_TTL_MS; a check in flight is shared.
 */
export function fileStoreCheck(
  storage: Config['storage'],
  storageAdapter: Pick<FileStorage, 'check'>,
  opts: { ttlMs?: number; timeoutMs?: number; now?: () => number; warn?: (err: unknown) => void } = {},
): () => Promise<Check> {
  // /health answers anyone: the store's own words (paths, bucket) go to the log, the check names only the error code
  const where = storage.kind === 's3' ? 'S3' : 'local directory';
  const now = opts.now ?? (() => performance.now());
  let last: { at: number; check: Promise<Check> } | null = null;
  return () => {
    if (last && now() - last.at < (opts.ttlMs ?? FILE_CHECK_TTL_MS)) return last.check;
    const check = withTimeout(storageAdapter.check(), opts.timeoutMs ?? FILE_CHECK_TIMEOUT_MS).then(
      (): Check => ({ status: 'ok', detail: `${where}: answering` }),
      (err: unknown): Check => {
        opts.warn?.(err);
        return {
          status: 'degraded',
          detail: `${where}: not answering (${errorCode(err)}); file uploads and downloads fail`,
        };
      },
    );
    last = { at: now(), check };
    return check;
  };
}

/** How long /health waits for the file store (a local disk that hangs, e.g. a stuck NFS mount, never hangs /health). */
const FILE_CHECK_TIMEOUT_MS = 5_000;

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: 'TIMEOUT' })), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** An error's code (ENOSPC, EACCES, NoSuchBucket…) for a public check, never its message. */
function errorCode(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const code = (cause as { code?: unknown; name?: unknown } | null)?.code ?? (cause as { name?: unknown } | null)?.name;
  return typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : 'error';
}
