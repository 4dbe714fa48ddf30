import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileTooLargeError, StorageUnavailableError, type FileStorage } from '../../app/ports/fileStorage.js';
import { createFileStorage } from './index.js';
import { configureStorage } from './config.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const API = 'https://escrow.example.test/';
const NOW = new Date('2026-06-01T12:00:00.000Z');

async function bytesOf(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const c of body) chunks.push(c);
  return Buffer.concat(chunks);
}

async function* inChunks(bytes: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) {
    await Promise.resolve();
    yield bytes.subarray(i, i + size);
  }
}

const tokenOf = (url: string) => {
  const prefix = 'https://escrow.example.test/api/files/signed/';
  assert.ok(url.startsWith(prefix), url);
  return url.slice(prefix.length);
};

describe('local file storage', () => {
  let root: string;
  let dir: string;
  let storage: FileStorage;
  const signingKey = randomBytes(32);

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'escrow-files-'));
    dir = join(root, 'data', 'files');
    const { settings, problems } = configureStorage({}, { production: false, dataDir: join(root, 'data') });
    assert.deepEqual(problems, []);
    storage = createFileStorage(settings, { apiUrl: API, signingKey, clock: { now: () => NOW } });
  });
  after(() => rm(root, { recursive: true, force: true }));

  const tmpFiles = () => readdir(join(dir, 'tmp'));

  it('creates its directory under DATA_DIR, private to the service', async () => {
    assert.equal(storage.kind, 'local');
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
  });

  it('writes atomically and reads back the same bytes, size, type and SHA-256 (whole or streamed)', async () => {
    const bytes = randomBytes(200_000);
    const key = 'escrows/0190a0b2-0000-7000-8000-000000000001/doc-1.pdf';
    const written = await storage.write(key, inChunks(bytes, 65_536), {
      contentType: 'application/pdf',
      maxBytes: bytes.length,
    });
    assert.deepEqual(written, { size: bytes.length, sha256: sha256(bytes) });
    const read = await storage.read(key);
    assert.ok(read);
    assert.equal(read.size, bytes.length);
    assert.equal(read.contentType, 'application/pdf');
    assert.deepEqual(await bytesOf(read.body), bytes);
    assert.equal((await stat(join(dir, 'objects', key))).mode & 0o777, 0o600, 'the bytes are kept as uploaded');
    assert.deepEqual(await tmpFiles(), []);

    const small = Buffer.from('hello evidence');
    assert.deepEqual(await storage.write('a/b', small, { contentType: 'text/plain', maxBytes: 100 }), {
      size: small.length,
      sha256: sha256(small),
    });
    assert.deepEqual(await storage.digest('a/b', 100), {
      size: small.length,
      sha256: sha256(small),
      contentType: 'text/plain',
    });
  });

  it('an empty file is a file: size 0, the SHA-256 of nothing', async () => {
    const empty = new Uint8Array(0);
    assert.deepEqual(await storage.write('e/empty', empty, { contentType: 'text/plain', maxBytes: 0 }), {
      size: 0,
      sha256: sha256(empty),
    });
    const read = await storage.read('e/empty');
    assert.ok(read);
    assert.equal(read.size, 0);
    assert.deepEqual(await bytesOf(read.body), Buffer.alloc(0));
  });

  it('refuses a body over the limit and leaves nothing behind; an earlier object under the key stays', async () => {
    const key = 'escrows/limit/file';
    const first = Buffer.from('first version');
    await storage.write(key, first, { contentType: 'text/plain', maxBytes: 100 });
    await assert.rejects(
      storage.write(key, inChunks(randomBytes(1000), 100), { contentType: 'image/png', maxBytes: 999 }),
      (e: unknown) => e instanceof FileTooLargeError && e.limitBytes === 999,
    );
    await assert.rejects(storage.write('escrows/limit/other', randomBytes(11), { contentType: 'x/y', maxBytes: 10 }), {
      name: 'FileTooLargeError',
    });
    assert.equal(await storage.read('escrows/limit/other'), null);
    const read = await storage.read(key);
    assert.ok(read);
    assert.equal(read.contentType, 'text/plain');
    assert.deepEqual(await bytesOf(read.body), first);
    assert.deepEqual(await tmpFiles(), []);
  });

  it('a body stream that fails mid-way passes its error on and leaves nothing behind', async () => {
    async function* failing(): AsyncIterable<Uint8Array> {
      yield randomBytes(10);
      await Promise.resolve();
      throw new Error('client went away');
    }
    await assert.rejects(storage.write('x/broken', failing(), { contentType: 'text/plain', maxBytes: 100 }), {
      message: 'client went away',
    });
    assert.equal(await storage.read('x/broken'), null);
    assert.deepEqual(await tmpFiles(), []);
  });

  it('a missing object reads and digests as null; removing it is fine', async () => {
    assert.equal(await storage.read('escrows/none/none'), null);
    assert.equal(await storage.digest('escrows/none/none', 10), null);
    assert.equal(await storage.read('escrows'), null, 'a folder is not an object');
    await storage.remove('escrows/none/none');
  });

  it('remove deletes the object and its description', async () => {
    await storage.write('r/1', Buffer.from('x'), { contentType: 'text/plain', maxBytes: 1 });
    await storage.remove('r/1');
    assert.equal(await storage.read('r/1'), null);
    await assert.rejects(stat(join(dir, 'meta', 'r', '1.json')), { code: 'ENOENT' });
  });

  it('digest of an object over the limit deletes it and throws FileTooLargeError', async () => {
    await storage.write('d/big', randomBytes(50), { contentType: 'image/png', maxBytes: 50 });
    await assert.rejects(storage.digest('d/big', 49), (e: unknown) => e instanceof FileTooLargeError);
    assert.equal(await storage.read('d/big'), null);
  });

  it('a presigned upload URL points at the API and grants exactly that upload until it expires', async () => {
    const up = await storage.presignUpload('escrows/e1/f1', {
      contentType: 'image/png',
      size: 1234,
      expiresInSeconds: 300,
    });
    assert.equal(up.method, 'PUT');
    assert.deepEqual(up.headers, { 'content-type': 'image/png' });
    assert.equal(up.expiresAt, '2026-06-01T12:05:00.000Z');
    const token = tokenOf(up.url);
    assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'URL-safe as a path segment');
    const grant = { key: 'escrows/e1/f1', contentType: 'image/png', maxBytes: 1234 };
    assert.deepEqual(storage.verifySignedUrl(token, 'PUT', NOW), grant);
    assert.deepEqual(storage.verifySignedUrl(token, 'PUT', new Date(NOW.getTime() + 299_999)), grant);
    assert.equal(storage.verifySignedUrl(token, 'PUT', new Date(NOW.getTime() + 300_000)), null, 'expired');
    assert.equal(storage.verifySignedUrl(token, 'GET', NOW), null, 'an upload URL does not download');
  });

  it('a presigned download URL carries the file name and is refused for uploads', async () => {
    const down = await storage.presignDownload('escrows/e1/f1', {
      expiresInSeconds: 60,
      fileName: 'Invoice "March".pdf',
      contentType: 'application/pdf',
    });
    assert.equal(down.expiresAt, '2026-06-01T12:01:00.000Z');
    const token = tokenOf(down.url);
    assert.deepEqual(storage.verifySignedUrl(token, 'GET', NOW), {
      key: 'escrows/e1/f1',
      contentType: 'application/pdf',
      maxBytes: 0,
      fileName: 'Invoice "March".pdf',
    });
    assert.equal(storage.verifySignedUrl(token, 'PUT', NOW), null);
    assert.equal(storage.verifySignedUrl(token, 'GET', new Date('2026-06-01T12:01:00.000Z')), null);
  });

  it('forged tokens are refused: changed claims, changed or missing MAC, another key, garbage', async () => {
    const up = await storage.presignUpload('escrows/e1/f1', {
      contentType: 'image/png',
      size: 10,
      expiresInSeconds: 60,
    });
    const [body = '', mac = ''] = tokenOf(up.url).split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    const reclaim = (c: Record<string, unknown>) => Buffer.from(JSON.stringify(c)).toString('base64url');
    const forged = [
      `${reclaim({ ...claims, n: 10_000_000 })}.${mac}`,
      `${reclaim({ ...claims, k: 'escrows/other/f1' })}.${mac}`,
      `${reclaim({ ...claims, e: Number(claims.e) + 86_400_000 })}.${mac}`,
      `${body}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`,
      `${body}.`,
      body,
      `${body}.${mac}.${mac}`,
      '',
      'not-a-token',
      'x'.repeat(5000),
    ];
    for (const t of forged) assert.equal(storage.verifySignedUrl(t, 'PUT', NOW), null, t.slice(0, 60));
    const other = createFileStorage(configureStorage({}, { production: false, dataDir: root }).settings, {
      apiUrl: API,
      signingKey: randomBytes(32),
      clock: { now: () => NOW },
    });
    assert.equal(other.verifySignedUrl(tokenOf(up.url), 'PUT', NOW), null, 'signed with another key');
    assert.ok(storage.verifySignedUrl(tokenOf(up.url), 'PUT', NOW), 'the untouched token still passes');
  });

  it('bad keys are programming errors, refused by every operation', async () => {
    const bad = ['', '/abs', '../x', 'a/../b', 'a..b', 'a//b', 'a/./b', 'a/', 'a b', 'é', 'a\\b', 'x'.repeat(513)];
    for (const key of bad) {
      const refused = { name: 'Error', message: /invalid file key/ };
      await assert.rejects(storage.write(key, Buffer.from('x'), { contentType: 'text/plain', maxBytes: 1 }), refused);
      await assert.rejects(storage.read(key), refused);
      await assert.rejects(storage.digest(key, 1), refused);
      await assert.rejects(storage.remove(key), refused);
      await assert.rejects(storage.presignUpload(key, { contentType: 'x/y', size: 1, expiresInSeconds: 1 }), refused);
      await assert.rejects(
        storage.presignDownload(key, { contentType: 'x/y', fileName: 'f', expiresInSeconds: 1 }),
        refused,
      );
    }
    assert.deepEqual(await readdir(join(root, 'data')), ['files'], 'nothing written outside the files directory');
  });

  it('check passes on a writable directory and throws StorageUnavailableError once it is gone', async () => {
    await storage.check();
    assert.deepEqual(await tmpFiles(), []);
    const lost = join(root, 'lost');
    const doomed = createFileStorage(
      configureStorage({ FILES_DIR: lost }, { production: false, dataDir: root }).settings,
      {
        apiUrl: API,
        signingKey,
      },
    );
    await doomed.check();
    await rm(lost, { recursive: true });
    await assert.rejects(
      doomed.check(),
      (e: unknown) => e instanceof StorageUnavailableError && /check/.test(e.message),
    );
    await assert.rejects(
      doomed.write('a/b', Buffer.from('x'), { contentType: 'text/plain', maxBytes: 1 }),
      (e: unknown) => e instanceof StorageUnavailableError,
    );
  });
});
