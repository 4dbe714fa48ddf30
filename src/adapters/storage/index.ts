import type { Clock } from '../../app/ports/clock.js';
import type { FileStorage } from '../../app/ports/fileStorage.js';
import type { StorageSettings } from './config.js';
import { LocalFileStorage } from './localStorage.js';
import { S3FileStorage } from './s3Storage.js';

export { configureStorage, storageVariables, type StorageSettings } from './config.js';
export { LocalFileStorage } from './localStorage.js';
export { S3FileStorage } from './s3Storage.js';

/**
 * The file store the settings name. signingKey (at least 16 bytes, the same on every API instance) signs the local
 * store's URLs; credentials override the SDK's default chain (tests).
 */
export function createFileStorage(
  settings: StorageSettings,
  opts: {
    apiUrl: string;
    signingKey: Uint8Array;
    credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    clock?: Clock;
  },
): FileStorage {
  if (settings.kind === 's3') {
    return new S3FileStorage({
      ...settings.s3,
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
    });
  }
  return new LocalFileStorage({
    dir: settings.local.dir,
    apiUrl: opts.apiUrl,
    signingKey: opts.signingKey,
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
}
