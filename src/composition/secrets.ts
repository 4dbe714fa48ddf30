import { randomBytes } from 'node:crypto';
import type { Config } from '../config/index.js';
import { dataDirSecret } from '../http/auth.js';

/** The HS256 secret: JWT_SECRET, or in embedded mode one generated once and kept in the data directory. */
export function jwtSecretSource(config: Config): () => string {
  let generated: string | undefined;
  return () => {
    if (config.http.jwtSecret) return config.http.jwtSecret;
    if (config.database.mode === 'pglite' && !config.database.dataDir.startsWith('memory://')) {
      return dataDirSecret(config.database.dataDir);
    }
    return (generated ??= randomBytes(48).toString('base64url'));
  };
}
