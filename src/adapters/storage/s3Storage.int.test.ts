import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { FileTooLargeError, StorageUnavailableError } from '../../app/ports/fileStorage.js';
import { configureStorage } from './config.js';
import { createFileStorage } from './index.js';
import { S3FileStorage } from './s3Storage.js';

/** s3rver's built-in account. */
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const BUCKET = 'escrow-files-test';
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

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

async function startS3rver(directory: string): Promise<{ server: S3rver; endpoint: string }> {
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const { port } = await server.run();
  return { server, endpoint: `http://127.0.0.1:${port}` };
}

function s3Storage(endpoint: string, bucket = BUCKET): S3FileStorage {
  const raw = { AWS_S3_BUCKET: bucket, AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: endpoint };
  const { settings, problems } = configureStorage(raw, { production: false, dataDir: '/unused' });
  assert.deepEqual(problems, []);
  assert.equal(settings.s3.forcePathStyle, true, 'an endpoint defaults to path-style URLs');
  const storage = createFileStorage(settings, {
    apiUrl: 'http://api.unused',
    signingKey: randomBytes(32),
    credentials,
  });
  assert.ok(storage instanceof S3FileStorage);
  return storage;
}

describe('S3 file storage against s3rver', () => {
  let dir: string;
  let server: S3rver;
  let endpoint: string;
  let storage: S3FileStorage;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'escrow-s3rver-'));
    ({ server, endpoint } = await startS3rver(join(dir, 'main')));
    const admin = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials });
    try {
      await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
    } finally {
      admin.destroy();
    }
    storage = s3Storage(endpoint);
  });
  after(async () => {
    storage.destroy();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes and reads back the same bytes, size, type and SHA-256 (streamed and whole)', async () => {
    assert.equal(storage.kind, 's3');
    const bytes = randomBytes(300_000);
    const key = 'escrows/0190a0b2-0000-7000-8000-000000000001/0190a0b2-0000-7000-8000-000000000002';
    assert.deepEqual(
      await storage.write(key, inChunks(bytes, 65_536), { contentType: 'application/pdf', maxBytes: bytes.length }),
      { size: bytes.length, sha256: sha256(bytes) },
    );
    const read = await storage.read(key);
    assert.ok(read);
    assert.equal(read.size, bytes.length);
    assert.equal(read.contentType, 'application/pdf');
    assert.deepEqual(await bytesOf(read.body), bytes);

    const small = Buffer.from('{"evidence":true}');
    await storage.write('a/b.json', small, { contentType: 'application/json', maxBytes: 100 });
    assert.deepEqual(await storage.digest('a/b.json', 100), {
      size: small.length,
      sha256: sha256(small),
      contentType: 'application/json',
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

  it('refuses a body over the limit before sending it; an earlier object under the key stays', async () => {
    const key = 'escrows/limit/file';
    const first = Buffer.from('first version');
    await storage.write(key, first, { contentType: 'text/plain', maxBytes: 100 });
    await assert.rejects(
      storage.write(key, inChunks(randomBytes(1000), 100), { contentType: 'image/png', maxBytes: 999 }),
      (e: unknown) => e instanceof FileTooLargeError && e.limitBytes === 999,
    );
    await assert.rejects(storage.write('escrows/limit/new', randomBytes(11), { contentType: 'x/y', maxBytes: 10 }), {
      name: 'FileTooLargeError',
    });
    assert.equal(await storage.read('escrows/limit/new'), null, 'nothing stored');
    const read = await storage.read(key);
    assert.ok(read);
    assert.deepEqual(await bytesOf(read.body), first);
  });

  it('a missing object reads and digests as null; removing it is fine; remove deletes', async () => {
    assert.equal(await storage.read('escrows/none/none'), null);
    assert.equal(await storage.digest('escrows/none/none', 10), null);
    await storage.remove('escrows/none/none');
    await storage.write('r/1', Buffer.from('x'), { contentType: 'text/plain', maxBytes: 1 });
    await storage.remove('r/1');
    assert.equal(await storage.read('r/1'), null);
  });

  it('a presigned PUT done with fetch stores the bytes; digest hashes them; the URL signs type and length', async () => {
    const bytes = randomBytes(5000);
    const up = await storage.presignUpload('escrows/e1/upload', {
      contentType: 'image/png',
      size: bytes.length,
      expiresInSeconds: 120,
    });
    assert.equal(up.method, 'PUT');
    assert.deepEqual(up.headers, { 'content-type': 'image/png' });
    const url = new URL(up.url);
    assert.equal(url.origin + url.pathname, `${endpoint}/${BUCKET}/escrows/e1/upload`);
    assert.deepEqual(url.searchParams.get('X-Amz-SignedHeaders')?.split(';').sort(), [
      'content-length',
      'content-type',
      'host',
    ]);
    assert.equal(url.searchParams.get('X-Amz-Expires'), '120');
    assert.equal(
      [...url.searchParams.keys()].filter((k) => k.toLowerCase().startsWith('x-amz-checksum')).length,
      0,
      'no checksum of an empty body baked into the URL',
    );
    const signedAt = (url.searchParams.get('X-Amz-Date') ?? '').replace(
      /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/,
      '$1-$2-$3T$4:$5:$6Z',
    );
    assert.equal(Date.parse(up.expiresAt) - Date.parse(signedAt), 120_000);

    const res = await fetch(up.url, { method: up.method, headers: up.headers, body: bytes });
    assert.equal(res.status, 200, await res.text());
    assert.deepEqual(await storage.digest('escrows/e1/upload', bytes.length), {
      size: bytes.length,
      sha256: sha256(bytes),
      contentType: 'image/png',
    });
  });

  it('digest of an uploaded object over the limit deletes it and throws FileTooLargeError', async () => {
    const up = await storage.presignUpload('escrows/e1/big', {
      contentType: 'text/plain',
      size: 64,
      expiresInSeconds: 60,
    });
    const res = await fetch(up.url, { method: 'PUT', headers: up.headers, body: randomBytes(64) });
    assert.equal(res.status, 200, await res.text());
    await assert.rejects(storage.digest('escrows/e1/big', 63), (e: unknown) => e instanceof FileTooLargeError);
    assert.equal(await storage.read('escrows/e1/big'), null);
  });

  it('a presigned GET downloads the bytes with fetch, as an attachment with the file name', async () => {
    const bytes = randomBytes(2048);
    await storage.write('escrows/e1/contract', bytes, { contentType: 'application/pdf', maxBytes: 4096 });
    const down = await storage.presignDownload('escrows/e1/contract', {
      expiresInSeconds: 60,
      fileName: 'Contrat "signé".pdf',
      contentType: 'application/pdf',
    });
    assert.ok(Date.parse(down.expiresAt) > 0);
    const res = await fetch(down.url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/pdf');
    assert.equal(
      res.headers.get('content-disposition'),
      `attachment; filename="Contrat _sign__.pdf"; filename*=UTF-8''Contrat%20%22sign%C3%A9%22.pdf`,
    );
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
    assert.equal(storage.verifySignedUrl(), null, 'S3 checks its own URLs');
  });

  it('bad keys are programming errors, refused before any request', async () => {
    const refused = { name: 'Error', message: /invalid file key/ };
    for (const key of ['', '/abs', '../x', 'a/../b', 'a//b', 'a b', 'a?b', 'x'.repeat(513)]) {
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
  });

  it('check passes; a missing bucket is StorageUnavailableError, never an absent file', async () => {
    await storage.check();
    const missing = s3Storage(endpoint, 'no-such-bucket');
    try {
      await assert.rejects(
        missing.check(),
        (e: unknown) => e instanceof StorageUnavailableError && /bucket does not exist/.test(e.message),
      );
      await assert.rejects(missing.read('a/b'), (e: unknown) => e instanceof StorageUnavailableError);
      await assert.rejects(
        missing.write('a/b', Buffer.from('x'), { contentType: 'text/plain', maxBytes: 1 }),
        (e: unknown) => e instanceof StorageUnavailableError,
      );
    } finally {
      missing.destroy();
    }
  });

  it('a stopped server makes every operation StorageUnavailableError', async () => {
    const other = await startS3rver(join(dir, 'stopped'));
    const admin = new S3Client({ region: 'us-east-1', endpoint: other.endpoint, forcePathStyle: true, credentials });
    const doomed = s3Storage(other.endpoint);
    let running = true;
    try {
      await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
      await doomed.check();
      await other.server.close();
      running = false;
      await assert.rejects(
        doomed.check(),
        (e: unknown) => e instanceof StorageUnavailableError && /unreachable/.test(e.message),
      );
      await assert.rejects(doomed.read('a/b'), (e: unknown) => e instanceof StorageUnavailableError);
      await assert.rejects(doomed.remove('a/b'), (e: unknown) => e instanceof StorageUnavailableError);
    } finally {
      admin.destroy();
      doomed.destroy();
      if (running) await other.server.close();
    }
  });

  it('check gives up on a store that accepts connections but never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    assert.ok(address && typeof address === 'object');
    const hanging = new S3FileStorage({
      bucket: BUCKET,
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${address.port}`,
      forcePathStyle: true,
      credentials,
      checkTimeoutMs: 300,
    });
    try {
      await assert.rejects(
        hanging.check(),
        (e: unknown) => e instanceof StorageUnavailableError && /unreachable/.test(e.message),
      );
      assert.ok(sockets.size > 0, 'the request reached the server');
    } finally {
      hanging.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
