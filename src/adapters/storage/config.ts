import { join } from 'node:path';
import { z } from 'zod';

export type StorageKind = 'local' | 's3';

export interface StorageSettings {
  /** s3 when AWS_S3_BUCKET is set, else a local directory. */
  kind: StorageKind;
  local: { dir: string };
  s3: { bucket: string; region: string; endpoint: string | null; forcePathStyle: boolean };
  /** Upper bound of one file, whichever way it is uploaded. */
  maxBytes: number;
  /** Lower-case MIME types an upload may declare. */
  allowedTypes: string[];
  /** Lifetime of presigned upload and download URLs. */
  urlTtlSeconds: number;
}

export const DEFAULT_FILES_MAX_BYTES = 10 * 1024 * 1024;
/** Uploads are buffered whole on their way to S3: 100 MB bounds the memory one upload takes. */
export const MAX_FILES_MAX_BYTES = 100 * 1024 * 1024;
export const DEFAULT_FILES_ALLOWED_TYPES =
  'application/pdf,image/png,image/jpeg,image/webp,image/gif,text/plain,application/zip,application/json';
export const DEFAULT_FILES_URL_TTL_SECONDS = 300;
export const MAX_FILES_URL_TTL_SECONDS = 3_600;

const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

export const storageVariables = {
  AWS_S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name: 3-63 lower-case letters, digits, dots, hyphens')
    .optional(),
  AWS_REGION: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a region name such as eu-west-1')
    .optional(),
  AWS_ENDPOINT_URL: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }).optional(),
  AWS_S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).optional(),
  FILES_DIR: z.string().min(1).max(4096).optional(),
  FILES_MAX_BYTES: z
    .string()
    .regex(/^[1-9]\d{0,8}$/, 'bytes, an integer from 1 to 104857600')
    .optional(),
  FILES_ALLOWED_TYPES: z.string().max(10_000).optional(),
  FILES_URL_TTL_SECONDS: z
    .string()
    .regex(/^[1-9]\d{0,3}$/, 'seconds, an integer from 1 to 3600')
    .optional(),
};

type Raw = Readonly<Record<string, string>>;

/** A value its own schema accepts, else the default (the schema's problem is reported with the rest). */
function integer(raw: Raw, name: 'FILES_MAX_BYTES' | 'FILES_URL_TTL_SECONDS', fallback: number): number {
  const v = raw[name];
  return v !== undefined && storageVariables[name].safeParse(v).success ? Number(v) : fallback;
}

/** The storage section: where evidence and contract files live, their limits; problems are reported with the rest. */
export function configureStorage(
  raw: Raw,
  ctx: { production: boolean; dataDir: string },
): { settings: StorageSettings; problems: string[] } {
  const problems: string[] = [];
  const bucket = raw.AWS_S3_BUCKET ?? '';
  const endpoint = raw.AWS_ENDPOINT_URL ?? null;
  const settings: StorageSettings = {
    kind: bucket ? 's3' : 'local',
    local: { dir: raw.FILES_DIR ?? join(ctx.dataDir, 'files') },
    s3: {
      bucket,
      region: raw.AWS_REGION ?? '',
      endpoint,
      // S3-compatible stores mostly need path-style URLs; AWS itself prefers virtual-hosted ones.
      forcePathStyle: raw.AWS_S3_FORCE_PATH_STYLE ? raw.AWS_S3_FORCE_PATH_STYLE === 'true' : endpoint !== null,
    },
    maxBytes: integer(raw, 'FILES_MAX_BYTES', DEFAULT_FILES_MAX_BYTES),
    allowedTypes: (raw.FILES_ALLOWED_TYPES ?? DEFAULT_FILES_ALLOWED_TYPES)
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t.length > 0),
    urlTtlSeconds: integer(raw, 'FILES_URL_TTL_SECONDS', DEFAULT_FILES_URL_TTL_SECONDS),
  };
  if (settings.kind === 's3') {
    if (!raw.AWS_REGION)
      problems.push('AWS_REGION: required when AWS_S3_BUCKET is set (the bucket region, e.g. eu-west-1)');
    if (raw.FILES_DIR) problems.push('FILES_DIR: only used for local file storage (AWS_S3_BUCKET is set)');
    if (ctx.production && endpoint !== null && !endpoint.startsWith('https://')) {
      problems.push('AWS_ENDPOINT_URL: must be an https:// URL in production (credentials and files travel over it)');
    }
  } else {
    for (const name of ['AWS_ENDPOINT_URL', 'AWS_S3_FORCE_PATH_STYLE'] as const) {
      if (raw[name]) problems.push(`${name}: only used with AWS_S3_BUCKET (set the bucket, or unset ${name})`);
    }
  }
  if (Number(raw.FILES_MAX_BYTES) > MAX_FILES_MAX_BYTES) {
    problems.push(`FILES_MAX_BYTES: at most ${MAX_FILES_MAX_BYTES} (100 MB): uploads are held in memory on their way`);
  }
  if (Number(raw.FILES_URL_TTL_SECONDS) > MAX_FILES_URL_TTL_SECONDS) {
    problems.push(`FILES_URL_TTL_SECONDS: at most ${MAX_FILES_URL_TTL_SECONDS} (1 hour): signed URLs are short-lived`);
  }
  const bad = settings.allowedTypes.filter((t) => !MIME_TYPE.test(t));
  if (bad.length > 0) {
    problems.push(
      `FILES_ALLOWED_TYPES: not MIME types (${bad.slice(0, 3).join(', ')}): list types like application/pdf,image/png`,
    );
  }
  if (settings.allowedTypes.length === 0) {
    problems.push('FILES_ALLOWED_TYPES: empty: list at least one MIME type, e.g. application/pdf');
  }
  return { settings, problems };
}
