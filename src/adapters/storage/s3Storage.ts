import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
  type GetObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Clock } from '../../app/ports/clock.js';
import {
  FileTooLargeError,
  StorageUnavailableError,
  assertFileKey,
  attachmentDisposition,
  type FileBody,
  type FileStorage,
  type PresignedUpload,
  type StoredFile,
} from '../../app/ports/fileStorage.js';
import { Measure, chunksOf, expiresAt, measureStream } from './body.js';

export interface S3StorageOptions {
  bucket: string;
  region: string;
  /** An S3-compatible store (MinIO, R2, s3rver…); absent for AWS itself. */
  endpoint: string | null;
  /** Path-style URLs (`<endpoint>/<bucket>/<key>`), which most S3-compatible stores need. */
  forcePathStyle: boolean;
  /** Absent: the SDK's default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, instance roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  clock?: Clock;
  /** How long check() waits for HeadBucket (default 5 s). */
  checkTimeoutMs?: number;
}

/** S3 refuses presigned URLs valid for more than 7 days. */
const MAX_PRESIGN_SECONDS = 7 * 86_400;
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const sdkError = (e: unknown): SdkError => (typeof e === 'object' && e !== null ? e : {});
/** NoSuchKey from GetObject; a missing bucket (NoSuchBucket) is an outage, never an absent file. */
const isMissingObject = (e: unknown) => sdkError(e).name === 'NoSuchKey';

/**
 * Files in an S3 bucket (or an S3-compatible store). A streamed body is buffered (limits are at most 100 MB) while it
 * is counted and hashed, then sent with one PutObject carrying its length and SHA-256 checksum, which S3 verifies (a
 * store that does not know the checksum header ignores it); a body over the limit is refused before anything is sent.
 */
export class S3FileStorage implements FileStorage {
  readonly kind = 's3';
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #clock: Clock;
  readonly #where: string;
  readonly #checkTimeoutMs: number;

  constructor(options: S3StorageOptions) {
    this.#bucket = options.bucket;
    this.#clock = options.clock ?? { now: () => new Date() };
    this.#checkTimeoutMs = options.checkTimeoutMs ?? 5_000;
    this.#where = `bucket ${options.bucket} at ${options.endpoint ?? `AWS ${options.region}`}`;
    this.#client = new S3Client({
      region: options.region,
      ...(options.endpoint !== null ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle,
      ...(options.credentials ? { credentials: options.credentials } : {}),
      // The SDK's default CRC32 of the request body would be baked into presigned PUT URLs (as the checksum of an
      // empty body); checksums are sent only where we set them (ChecksumSHA256) or the operation requires one.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: 5_000, socketTimeout: 30_000 },
    });
  }

  async write(key: string, body: FileBody, opts: { contentType: string; maxBytes: number }): Promise<StoredFile> {
    assertFileKey(key);
    const measure = new Measure(opts.maxBytes);
    const chunks: Uint8Array[] = [];
    for await (const chunk of chunksOf(body)) {
      measure.add(chunk);
      chunks.push(chunk);
    }
    const bytes = chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks);
    const sha256 = measure.sha256();
    await this.#send(`write ${key}`, () =>
      this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          Body: bytes,
          ContentLength: bytes.byteLength,
          ContentType: opts.contentType,
          ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
        }),
      ),
    );
    return { size: measure.size, sha256 };
  }

  async read(key: string): Promise<{ body: AsyncIterable<Uint8Array>; size: number; contentType: string } | null> {
    assertFileKey(key);
    const res = await this.#get(key);
    if (res === null) return null;
    return { body: bodyOf(res), size: res.ContentLength ?? 0, contentType: res.ContentType ?? DEFAULT_CONTENT_TYPE };
  }

  async digest(key: string, maxBytes: number): Promise<(StoredFile & { contentType: string }) | null> {
    assertFileKey(key);
    const res = await this.#get(key);
    if (res === null) return null;
    const body = bodyOf(res);
    const contentType = res.ContentType ?? DEFAULT_CONTENT_TYPE;
    try {
      if ((res.ContentLength ?? 0) > maxBytes) throw new FileTooLargeError(maxBytes);
      const measure = await measureStream(body, maxBytes);
      return { size: measure.size, sha256: measure.sha256(), contentType };
    } catch (e) {
      discard(body);
      if (e instanceof FileTooLargeError) await this.remove(key);
      throw e instanceof FileTooLargeError ? e : this.#unavailable(e, `digest ${key}`);
    }
  }

  async remove(key: string): Promise<void> {
    assertFileKey(key);
    await this.#send(`remove ${key}`, () =>
      this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key })),
    );
  }

  async presignUpload(
    key: string,
    opts: { contentType: string; size: number; expiresInSeconds: number },
  ): Promise<PresignedUpload> {
    assertFileKey(key);
    if (!Number.isSafeInteger(opts.size) || opts.size < 0) throw new Error(`size must be an integer ≥ 0: ${opts.size}`);
    const command = new PutObjectCommand({
      Bucket: this.#bucket,
      Key: key,
      ContentType: opts.contentType,
      ContentLength: opts.size,
    });
    const { url, expires } = await this.#presign(command, opts.expiresInSeconds, ['content-type', 'content-length']);
    // Content-Length is signed too; HTTP clients send it themselves (browsers forbid setting it).
    return { url, method: 'PUT', headers: { 'content-type': opts.contentType }, expiresAt: expires };
  }

  async presignDownload(
    key: string,
    opts: { expiresInSeconds: number; fileName: string; contentType: string },
  ): Promise<{ url: string; expiresAt: string }> {
    assertFileKey(key);
    const command = new GetObjectCommand({
      Bucket: this.#bucket,
      Key: key,
      ResponseContentDisposition: attachmentDisposition(opts.fileName),
      ResponseContentType: opts.contentType,
    });
    const { url, expires } = await this.#presign(command, opts.expiresInSeconds, []);
    return { url, expiresAt: expires };
  }

  /** S3 checks its own signatures: no URL of this store points at the API. */
  verifySignedUrl(): null {
    return null;
  }

  /** Answers within checkTimeoutMs (retries included): /health never hangs on a store that does not answer. */
  async check(): Promise<void> {
    const abortSignal = AbortSignal.timeout(this.#checkTimeoutMs);
    await this.#send('check', () =>
      this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }), { abortSignal }),
    );
  }

  /** Closes the client's connections (shutdown, tests). */
  destroy(): void {
    this.#client.destroy();
  }

  async #presign(
    command: PutObjectCommand | GetObjectCommand,
    seconds: number,
    signed: string[],
  ): Promise<{ url: string; expires: string }> {
    // SigV4 dates have whole seconds: the URL expires `seconds` after the truncated signing time.
    const now = new Date(Math.floor(this.#clock.now().getTime() / 1000) * 1000);
    const expires = expiresAt(now, seconds);
    if (seconds > MAX_PRESIGN_SECONDS) throw new Error(`expiresInSeconds: at most ${MAX_PRESIGN_SECONDS} for S3`);
    const url = await getSignedUrl(this.#client, command, {
      expiresIn: seconds,
      signingDate: now,
      signableHeaders: new Set(signed),
    });
    return { url, expires: expires.toISOString() };
  }

  async #get(key: string): Promise<GetObjectCommandOutput | null> {
    try {
      return await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
    } catch (e) {
      if (isMissingObject(e)) return null;
      throw this.#unavailable(e, `read ${key}`);
    }
  }

  async #send(what: string, request: () => Promise<unknown>): Promise<void> {
    try {
      await request();
    } catch (e) {
      throw this.#unavailable(e, what);
    }
  }

  #unavailable(e: unknown, what: string): StorageUnavailableError {
    if (e instanceof StorageUnavailableError) return e;
    const { name, code, message, $metadata } = sdkError(e);
    const status = $metadata?.httpStatusCode;
    const detail =
      status === undefined
        ? `unreachable (${code ?? name ?? 'error'}: ${message ?? String(e)})`
        : status === 404 && what === 'check'
          ? 'the bucket does not exist (HTTP 404): create it or fix AWS_S3_BUCKET'
          : status === 403
            ? `access denied (${name ?? 'HTTP 403'}): check the credentials and the bucket policy`
            : `${name ?? 'error'} (HTTP ${status})`;
    return new StorageUnavailableError(`S3 ${what}, ${this.#where}: ${detail}`, { cause: e });
  }
}

function bodyOf(res: GetObjectCommandOutput): AsyncIterable<Uint8Array> {
  const body: unknown = res.Body;
  if (typeof body === 'object' && body !== null && Symbol.asyncIterator in body) {
    return body as AsyncIterable<Uint8Array>;
  }
  throw new StorageUnavailableError('S3 GetObject answered without a readable body');
}

/** Frees the connection of a body we stop reading. */
function discard(body: AsyncIterable<Uint8Array>): void {
  const destroy = (body as { destroy?: unknown }).destroy;
  if (typeof destroy === 'function') (destroy as () => void).call(body);
}
