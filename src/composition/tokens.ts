import type { Logger } from 'pino';
import type { Database } from '../adapters/db/database.js';
import { SqlTokenRevocationStore } from '../adapters/db/tokenRevocationStore.js';
import { TokenService } from '../app/tokens.js';
import type { Clock } from '../app/ports/index.js';

/**
 * Token revocation as the engine wires it: one service per engine over token_revocations, its revoked set kept in
 * memory by NOTIFY on `escrow_token_revocations` once the engine starts (one more LISTEN connection per process on
 * PostgreSQL, as the pause's), so that the HTTP authenticator checks every request without a query.
 */
export function createTokens(
  db: Database,
  clock: Clock,
  logger: Logger,
  maxTokenLifetimeSeconds: number,
): TokenService {
  return new TokenService({
    store: new SqlTokenRevocationStore(db),
    clock,
    maxTokenLifetimeMs: maxTokenLifetimeSeconds * 1000,
    onError: (err) => logger.warn({ err }, 'token revocations not read (the last known set is kept)'),
  });
}
