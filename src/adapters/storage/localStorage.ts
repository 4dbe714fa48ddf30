import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdir, open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Clock } from '../../app/ports/clock.js';
import {
  FileTooLargeError,
  StorageUnavailableError,
  assertFileKey,
  type FileBody,
  type FileStorage,
  type PresignedUpload,
  type SignedUrlGrant,
  type StoredFile,
} from '../../app/ports/fileStorage.js';
import { Measure, chunksOf, expiresAt, measureStream, settle } from './body.js';
import { UrlSigner } from './signedUrl.js';

export interface LocalStorageOptions {
  /** Created (mode 0700) if missing; an existing directory keeps its mode. */
  dir: string;
  /** Public base URL of the API: signed URLs are `${apiUrl}/api/files/signed/<token>`. */
  apiUrl: string;
  /** At least 16 bytes; the same key on every API instance sharing the directory. */
  signingKey: Uint8Array;
  clock?: Clock;
}

interface Meta {
  contentType: string;
  size: number;
  sha256: string;
}

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** An fs failure (it names a syscall), as opposed to an error of the body's stream or our own. */
const isFsError = (e: unknown): e is NodeJS.ErrnoException => e instanceof Error && 'syscall' in e;
const isAbsent = (e: unknown) => isFsError(e) && (e.code === 'ENOENT' || e.code === 'ENOTDIR');

/**
 * Files in a local directory (the default, under DATA_DIR): `objects/<key>` holds the bytes exactly as uploaded (an
 * operator can open them), `meta/<key>.json` the content type, size and SHA-256, `tmp/` the writes in progress. A write
 * goes to tmp/, is fsynced and renamed into place, meta first: an object present is always complete and described.
 * Keys must not be both a file and a folder of another key (`a/b` and `a/b/c`).
 */
export class LocalFileStorage implements FileStorage {
  readonly kind = 'local';
  readonly #objects: string;
  readonly #meta: string;
  readonly #tmp: string;
  readonly #signer: UrlSigner;
  readonly #apiUrl: string;
  readonly #clock: Clock;
  readonly #dir: string;

  constructor(options: LocalStorageOptions) {
    this.#dir = options.dir;
    this.#objects = join(options.dir, 'objects');
    this.#meta = join(options.dir, 'meta');
    this.#tmp = join(options.dir, 'tmp');
    for (const d of [options.dir, this.#objects, this.#meta, this.#tmp]) mkdirSync(d, { recursive: true, mode: 0o700 });
    this.#signer = new UrlSigner(options.signingKey);
    this.#apiUrl = options.apiUrl.replace(/\/+$/, '');
    this.#clock = options.clock ?? { now: () => new Date() };
  }

  async write(key: string, body: FileBody, opts: { contentType: string; maxBytes: number }): Promise<StoredFile> {
    assertFileKey(key);
    const measure = new Measure(opts.maxBytes);
    const objectTmp = join(this.#tmp, randomUUID());
    const metaTmp = `${objectTmp}.json`;
    try {
      await writeSynced(objectTmp, async (fh) => {
        for await (const chunk of chunksOf(body)) {
          measure.add(chunk);
          // write(2) may take less than the whole chunk (a signal, a nearly full disk): loop until it is all down
          for (let done = 0; done < chunk.byteLength;) done += (await fh.write(chunk, done)).bytesWritten;
        }
      });
      const meta: Meta = { contentType: opts.contentType, size: measure.size, sha256: measure.sha256() };
      await writeSynced(metaTmp, (fh) => fh.writeFile(JSON.stringify(meta)));
      await this.#moveIntoPlace(key, metaTmp, objectTmp);
      return { size: meta.size, sha256: meta.sha256 };
    } catch (e) {
      await Promise.all([objectTmp, metaTmp].map(removeIfPresent));
      throw this.#wrap(e, `write ${key}`);
    }
  }

  async read(key: string): Promise<{ body: AsyncIterable<Uint8Array>; size: number; contentType: string } | null> {
    assertFileKey(key);
    const fh = await this.#openObject(key);
    if (fh === null) return null;
    try {
      const [{ size }, meta] = await Promise.all([fh.stat(), this.#readMeta(key)]);
      return {
        body: fh.createReadStream({ autoClose: true }),
        size,
        contentType: meta?.contentType ?? DEFAULT_CONTENT_TYPE,
      };
    } catch (e) {
      await fh.close();
      throw this.#wrap(e, `read ${key}`);
    }
  }

  async digest(key: string, maxBytes: number): Promise<(StoredFile & { contentType: string }) | null> {
    assertFileKey(key);
    const fh = await this.#openObject(key);
    if (fh === null) return null;
    let tooLarge = false;
    try {
      const { size } = await fh.stat();
      tooLarge = size > maxBytes;
      if (tooLarge) throw new FileTooLargeError(maxBytes);
      const measure = await measureStream(fh.createReadStream({ autoClose: false }), maxBytes);
      const meta = await this.#readMeta(key);
      return { size: measure.size, sha256: measure.sha256(), contentType: meta?.contentType ?? DEFAULT_CONTENT_TYPE };
    } catch (e) {
      tooLarge ||= e instanceof FileTooLargeError;
      throw this.#wrap(e, `digest ${key}`);
    } finally {
      await fh.close();
      if (tooLarge) await this.remove(key);
    }
  }

  async remove(key: string): Promise<void> {
    assertFileKey(key);
    try {
      await removeIfPresent(join(this.#objects, key));
      await removeIfPresent(join(this.#meta, `${key}.json`));
    } catch (e) {
      throw this.#wrap(e, `remove ${key}`);
    }
  }

  presignUpload(
    key: string,
    opts: { contentType: string; size: number; expiresInSeconds: number },
  ): Promise<PresignedUpload> {
    return settle(() => {
      assertFileKey(key);
      if (!Number.isSafeInteger(opts.size) || opts.size < 0)
        throw new Error(`size must be an integer ≥ 0: ${opts.size}`);
      const expires = expiresAt(this.#clock.now(), opts.expiresInSeconds);
      const token = this.#signer.sign({ k: key, m: 'PUT', t: opts.contentType, n: opts.size, e: expires.getTime() });
      return {
        url: this.#signedUrl(token),
        method: 'PUT' as const,
        headers: { 'content-type': opts.contentType },
        expiresAt: expires.toISOString(),
      };
    });
  }

  presignDownload(
    key: string,
    opts: { expiresInSeconds: number; fileName: string; contentType: string },
  ): Promise<{ url: string; expiresAt: string }> {
    return settle(() => {
      assertFileKey(key);
      const expires = expiresAt(this.#clock.now(), opts.expiresInSeconds);
      const claims = { k: key, m: 'GET' as const, t: opts.contentType, n: 0, e: expires.getTime(), f: opts.fileName };
      return { url: this.#signedUrl(this.#signer.sign(claims)), expiresAt: expires.toISOString() };
    });
  }

  verifySignedUrl(token: string, method: 'GET' | 'PUT', now: Date): SignedUrlGrant | null {
    return this.#signer.verify(token, method, now);
  }

  async check(): Promise<void> {
    const probe = join(this.#tmp, `health-${randomUUID()}`);
    try {
      await writeSynced(probe, (fh) => fh.writeFile('ok'));
      await unlink(probe);
    } catch (e) {
      await removeIfPresent(probe).catch(() => undefined);
      throw this.#wrap(e, 'check');
    }
  }

  #signedUrl(token: string): string {
    return `${this.#apiUrl}/api/files/signed/${token}`;
  }

  async #moveIntoPlace(key: string, metaTmp: string, objectTmp: string): Promise<void> {
    const objectPath = join(this.#objects, key);
    const metaPath = join(this.#meta, `${key}.json`);
    await mkdir(dirname(objectPath), { recursive: true, mode: 0o700 });
    await mkdir(dirname(metaPath), { recursive: true, mode: 0o700 });
    await rename(metaTmp, metaPath);
    await rename(objectTmp, objectPath);
    await syncDir(dirname(metaPath));
    await syncDir(dirname(objectPath));
  }

  async #openObject(key: string): Promise<FileHandle | null> {
    let fh: FileHandle;
    try {
      fh = await open(join(this.#objects, key), 'r');
    } catch (e) {
      if (isAbsent(e)) return null;
      throw this.#wrap(e, `open ${key}`);
    }
    if ((await fh.stat()).isFile()) return fh;
    await fh.close();
    return null;
  }

  async #readMeta(key: string): Promise<Meta | null> {
    try {
      return JSON.parse(await readFile(join(this.#meta, `${key}.json`), 'utf8')) as Meta;
    } catch (e) {
      if (isAbsent(e) || e instanceof SyntaxError) return null;
      throw e;
    }
  }

  /** fs failures become StorageUnavailableError (the API answers 503); anything else passes unchanged. */
  #wrap(e: unknown, what: string): unknown {
    if (!isFsError(e)) return e;
    return new StorageUnavailableError(`local file storage (${this.#dir}): ${what} failed: ${e.code ?? e.message}`, {
      cause: e,
    });
  }
}

async function writeSynced(path: string, fill: (fh: FileHandle) => Promise<void>): Promise<void> {
  const fh = await open(path, 'wx', 0o600);
  try {
    await fill(fh);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncDir(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function removeIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (e) {
    if (!isAbsent(e)) throw e;
  }
}
