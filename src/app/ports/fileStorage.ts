/**
 * Evidence and contract files: the bytes live in a store (a local directory or an S3 bucket) under opaque keys the
 * caller makes (`escrows/<uuid>/<uuid>`); the file records (name, uploader, SHA-256) live in the database. Uploads go
 * through the API (write) or straight to the store with a presigned URL (then digest); downloads likewise.
 */
export type FileBody = AsyncIterable<Uint8Array> | Uint8Array;

export interface StoredFile {
  size: number;
  /** Lower-case hex SHA-256 of the bytes stored. */
  sha256: string;
}

export interface PresignedUpload {
  url: string;
  method: 'PUT';
  /** Headers the client must send with the PUT (the signature covers them). */
  headers: Record<string, string>;
  /** ISO 8601. */
  expiresAt: string;
}

/** What a valid local signed URL allows; maxBytes is the declared size of an upload, 0 for a download. */
export interface SignedUrlGrant {
  key: string;
  contentType: string;
  maxBytes: number;
  fileName?: string;
}

export interface FileStorage {
  readonly kind: 'local' | 's3';
  /**
   * Stores the body under key atomically while hashing it. Throws FileTooLargeError past maxBytes, leaving nothing
   * behind (an earlier object under the key stays as it was).
   */
  write(key: string, body: FileBody, opts: { contentType: string; maxBytes: number }): Promise<StoredFile>;
  /** The stored bytes as a stream, or null when there is no object under key. */
  read(key: string): Promise<{ body: AsyncIterable<Uint8Array>; size: number; contentType: string } | null>;
  /**
   * Hashes an object already stored (after a presigned upload); null when absent. An object bigger than maxBytes is
   * deleted and FileTooLargeError thrown.
   */
  digest(key: string, maxBytes: number): Promise<(StoredFile & { contentType: string }) | null>;
  /** Deletes the object; an absent one is fine. */
  remove(key: string): Promise<void>;
  /** A URL the client PUTs the bytes to; the signature pins the content type and length where the store can. */
  presignUpload(
    key: string,
    opts: { contentType: string; size: number; expiresInSeconds: number },
  ): Promise<PresignedUpload>;
  /** A short-lived URL that downloads the object as an attachment named fileName. */
  presignDownload(
    key: string,
    opts: { expiresInSeconds: number; fileName: string; contentType: string },
  ): Promise<{ url: string; expiresAt: string }>;
  /**
   * The local store's URLs point at the API (`/api/files/signed/<token>`): the grant of a valid, unexpired token for
   * this method, else null (forged, expired, other method). Stores that sign their own URLs (S3) always answer null.
   */
  verifySignedUrl(token: string, method: 'GET' | 'PUT', now: Date): SignedUrlGrant | null;
  /** For /health: throws StorageUnavailableError when the store cannot be reached or written. */
  check(): Promise<void>;
}

/** The body is bigger than the limit (an upload refused with 413). */
export class FileTooLargeError extends Error {
  override readonly name = 'FileTooLargeError';
  constructor(readonly limitBytes: number) {
    super(`the file is larger than the limit of ${limitBytes} bytes`);
  }
}

/** The store cannot be reached or refused the operation (network, credentials, missing bucket, disk): answer 503. */
export class StorageUnavailableError extends Error {
  override readonly name = 'StorageUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export const MAX_FILE_KEY_LENGTH = 512;
const KEY_PATTERN = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

/**
 * Keys are made by the caller; a bad one is a programming error (plain Error): only `[A-Za-z0-9/_.-]`, no leading,
 * trailing or doubled `/`, no `.` or `..` segment, at most 512 characters.
 */
export function assertFileKey(key: string): void {
  if (
    key.length === 0 ||
    key.length > MAX_FILE_KEY_LENGTH ||
    !KEY_PATTERN.test(key) ||
    key.includes('..') ||
    key.split('/').includes('.')
  ) {
    throw new Error(`invalid file key ${JSON.stringify(key.slice(0, 80))}: use [A-Za-z0-9/_.-] segments, no ".."`);
  }
}

/**
 * A Content-Disposition value that downloads as fileName: a plain ASCII fallback (quotes, backslashes, control and
 * non-ASCII characters replaced) and the exact name in RFC 5987 form.
 */
export function attachmentDisposition(fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_').slice(0, 200) || 'file';
  const exact = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${exact}`;
}
