import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { LocalFileStorage } from '../adapters/storage/localStorage.js';
import { DomainError, type Actor } from '../domain/index.js';
import { cleanFileName, FileService } from './files.js';
import type { EscrowFileRecord, FileRecordStore, FileStoredChange, NewEscrowFile } from './ports/fileStore.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const API = 'https://escrow.example.test';
const buyer: Actor = { id: 'buyer-1', role: 'user' };
const seller: Actor = { id: 'seller-1', role: 'user' };
const stranger: Actor = { id: 'someone-else', role: 'user' };
const admin: Actor = { id: 'ops-admin', role: 'admin' };
const service: Actor = { id: 'marketplace-backend', role: 'service' };

/** The records in memory, with the audit rows the SQL store would write. */
class MemoryFileStore implements FileRecordStore {
  readonly rows = new Map<string, EscrowFileRecord>();
  readonly audit: { escrowId: string; actor: string; action: string; fileId: string; sha256: string | null }[] = [];
  getManyCalls = 0;

  insert(f: NewEscrowFile) {
    const { actor, at, ...rest } = f;
    const file: EscrowFileRecord = {
      ...rest,
      uploadedBy: actor.id,
      createdAt: at,
      storedAt: f.status === 'STORED' ? at : null,
    };
    this.rows.set(file.id, file);
    this.audit.push({ escrowId: f.escrowId, actor: actor.id, action: 'FileUploaded', fileId: f.id, sha256: f.sha256 });
    return Promise.resolve({ ...file });
  }
  markStored(c: FileStoredChange) {
    const f = this.rows.get(c.fileId);
    if (!f || f.escrowId !== c.escrowId) return Promise.resolve(null);
    if (f.status === 'STORED') return Promise.resolve({ file: { ...f }, changed: false });
    Object.assign(f, { status: 'STORED', size: c.size, sha256: c.sha256, storedAt: c.at });
    this.audit.push({ escrowId: c.escrowId, actor: c.actor.id, action: 'FileStored', fileId: f.id, sha256: c.sha256 });
    return Promise.resolve({ file: { ...f }, changed: true });
  }
  get(escrowId: string, fileId: string) {
    const f = this.rows.get(fileId);
    return Promise.resolve(f && f.escrowId === escrowId ? { ...f } : null);
  }
  getByKey(key: string) {
    return Promise.resolve([...this.rows.values()].find((f) => f.storageKey === key) ?? null);
  }
  getMany(escrowId: string, ids: readonly string[]) {
    this.getManyCalls++;
    return Promise.resolve([...this.rows.values()].filter((f) => f.escrowId === escrowId && ids.includes(f.id)));
  }
  list(escrowId: string) {
    return Promise.resolve([...this.rows.values()].filter((f) => f.escrowId === escrowId));
  }
}

async function bytesOf(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const c of body) chunks.push(c);
  return Buffer.concat(chunks);
}

async function* streamOf(bytes: Uint8Array, size = 16_384): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) {
    await Promise.resolve();
    yield bytes.subarray(i, i + size);
  }
}

const rejectsWith = (p: Promise<unknown>, code: string, field?: string) =>
  assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof DomainError, String(e));
    assert.equal(e.code, code, e.message);
    if (field !== undefined) assert.equal(e.details.errors?.[0]?.field, field, JSON.stringify(e.details));
    return true;
  });

const tokenOf = (url: string) => url.slice(`${API}/api/files/signed/`.length);

describe('FileService', () => {
  let root: string;
  let storage: LocalFileStorage;
  let store: MemoryFileStore;
  let files: FileService;
  let now: Date;
  const escrowA = randomUUID();
  const escrowB = randomUUID();
  const objects = async () =>
    (await readdir(join(root, 'objects'), { recursive: true })).filter((p) => p.includes('/'));

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'escrow-fileservice-'));
    storage = new LocalFileStorage({ dir: root, apiUrl: API, signingKey: randomBytes(32), clock: { now: () => now } });
  });
  after(() => rm(root, { recursive: true, force: true }));
  beforeEach(() => {
    now = new Date('2026-12-02T10:00:00.000Z');
    store = new MemoryFileStore();
    const parties: Record<string, string[]> = { [escrowA]: [buyer.id, seller.id], [escrowB]: ['buyer-2', 'seller-2'] };
    files = new FileService({
      store,
      storage,
      clock: { now: () => now },
      limits: { maxBytes: 100_000, allowedTypes: ['application/pdf', 'text/plain'], urlTtlSeconds: 300 },
      escrows: {
        get: (actor, escrowId) => {
          const party = parties[escrowId];
          if (!party || (actor.role === 'user' && !party.includes(actor.id))) {
            return Promise.reject(new DomainError('ESCROW_NOT_FOUND', `escrow ${escrowId} not found`));
          }
          return Promise.resolve({ escrow: {} as never });
        },
      },
    });
  });

  const upload = (bytes: Uint8Array, over: Partial<Parameters<FileService['upload']>[2]> = {}, escrowId = escrowA) =>
    files.upload(buyer, escrowId, {
      fileName: 'invoice.pdf',
      contentType: 'application/pdf',
      body: streamOf(bytes),
      ...over,
    });

  it('uploads: hashes exactly what was sent, records it STORED and audited, and reads it back', async () => {
    const bytes = randomBytes(70_000);
    const file = await upload(bytes, { fileName: 'C:\\fakepath\\Invoice 7.pdf', contentType: 'Application/PDF; x=1' });
    assert.deepEqual(file, {
      id: file.id,
      escrowId: escrowA,
      purpose: 'EVIDENCE',
      fileName: 'Invoice 7.pdf',
      contentType: 'application/pdf',
      size: 70_000,
      sha256: sha256(bytes),
      status: 'STORED',
      uploadedBy: 'buyer-1',
      createdAt: '2026-12-02T10:00:00.000Z',
      storedAt: '2026-12-02T10:00:00.000Z',
    });
    assert.equal(store.rows.get(file.id)?.storageKey, `escrows/${escrowA}/${file.id}`);
    assert.deepEqual(store.audit, [
      { escrowId: escrowA, actor: 'buyer-1', action: 'FileUploaded', fileId: file.id, sha256: sha256(bytes) },
    ]);
    for (const reader of [buyer, seller, admin]) {
      const opened = await files.open(reader, escrowA, file.id);
      assert.deepEqual(opened.file, file);
      assert.deepEqual(await bytesOf(opened.body), bytes);
    }
    // parties and admins only: the service token may upload but not read back
    for (const read of [
      () => files.open(service, escrowA, file.id),
      () => files.list(service, escrowA),
      () => files.get(service, escrowA, file.id),
      () => files.downloadUrl(service, escrowA, file.id),
    ]) {
      await assert.rejects(read, (err: unknown) => err instanceof DomainError && err.code === 'FORBIDDEN');
    }
    assert.deepEqual(await files.list(seller, escrowA), [file]);
    assert.deepEqual(await files.get(admin, escrowA, file.id), file);
    const contract = await files.upload(seller, escrowA, {
      fileName: 'terms.txt',
      contentType: 'text/plain',
      purpose: 'CONTRACT',
      body: streamOf(Buffer.alloc(0)),
    });
    assert.equal(contract.purpose, 'CONTRACT');
    assert.equal(contract.sha256, sha256(Buffer.alloc(0)));
  });

  it('refuses a type not allowed or a body over the limit, keeping no record and no object', async () => {
    const before = await objects();
    await rejectsWith(upload(randomBytes(10), { contentType: 'text/html' }), 'FILE_TYPE_NOT_ALLOWED', 'contentType');
    await assert.rejects(upload(randomBytes(10), { contentType: 'image/png' }), /not accepted/);
    await rejectsWith(upload(randomBytes(100_001)), 'FILE_TOO_LARGE', 'file');
    await assert.rejects(upload(randomBytes(100_001)), /limit of 100000 bytes/);
    assert.equal(store.rows.size, 0);
    assert.equal(store.audit.length, 0);
    assert.deepEqual(await objects(), before);
    assert.equal((await upload(randomBytes(100_000))).size, 100_000, 'exactly the limit is fine');
  });

  it('refuses bad names and purposes before storing anything', async () => {
    await rejectsWith(upload(randomBytes(5), { fileName: 'a\nb.pdf' }), 'VALIDATION_ERROR', 'fileName');
    await rejectsWith(upload(randomBytes(5), { fileName: 'dir/' }), 'VALIDATION_ERROR', 'fileName');
    await rejectsWith(upload(randomBytes(5), { fileName: '..' }), 'VALIDATION_ERROR', 'fileName');
    await rejectsWith(upload(randomBytes(5), { fileName: 'x'.repeat(256) }), 'VALIDATION_ERROR', 'fileName');
    await rejectsWith(upload(randomBytes(5), { purpose: 'RECEIPT' as never }), 'VALIDATION_ERROR', 'purpose');
    assert.equal(store.rows.size, 0);
    assert.equal(cleanFileName('../../etc/passwd'), 'passwd');
    assert.equal(cleanFileName('é'.repeat(255)), 'é'.repeat(255));
  });

  it('a stranger gets ESCROW_NOT_FOUND from every method, and an unknown escrow too', async () => {
    const file = await upload(randomBytes(10));
    const token = tokenOf(
      (await files.presignUpload(buyer, escrowA, { fileName: 'a.pdf', contentType: 'application/pdf', size: 3 })).upload
        .url,
    );
    assert.ok(token.length > 0);
    const calls: (() => Promise<unknown>)[] = [
      () =>
        files.upload(stranger, escrowA, {
          fileName: 'a.pdf',
          contentType: 'application/pdf',
          body: streamOf(randomBytes(3)),
        }),
      () => files.presignUpload(stranger, escrowA, { fileName: 'a.pdf', contentType: 'application/pdf', size: 3 }),
      () => files.complete(stranger, escrowA, file.id),
      () => files.list(stranger, escrowA),
      () => files.get(stranger, escrowA, file.id),
      () => files.open(stranger, escrowA, file.id),
      () => files.downloadUrl(stranger, escrowA, file.id),
      () => files.resolve(stranger, escrowA, [file.id]),
      () => files.list(buyer, randomUUID()),
    ];
    for (const call of calls) await rejectsWith(call(), 'ESCROW_NOT_FOUND');
    assert.equal(store.rows.size, 2);
  });

  it('resolve: STORED files of this escrow in the order given, in one query; anything else is named', async () => {
    const one = await upload(randomBytes(10), { fileName: 'one.pdf' });
    const two = await upload(randomBytes(20), { fileName: 'two.pdf' });
    const other = await files.upload(admin, escrowB, {
      fileName: 'b.pdf',
      contentType: 'application/pdf',
      body: streamOf(randomBytes(5)),
    });
    const { file: pending } = await files.presignUpload(buyer, escrowA, {
      fileName: 'p.pdf',
      contentType: 'application/pdf',
      size: 4,
    });
    assert.deepEqual(await files.resolve(seller, escrowA, [two.id, one.id]), [
      { fileId: two.id, sha256: two.sha256, fileName: 'two.pdf' },
      { fileId: one.id, sha256: one.sha256, fileName: 'one.pdf' },
    ]);
    assert.equal(store.getManyCalls, 1);
    assert.deepEqual(await files.resolve(buyer, escrowA, []), []);
    await rejectsWith(files.resolve(buyer, escrowA, [one.id, other.id]), 'FILE_NOT_FOUND', 'fileIds[1]');
    await assert.rejects(files.resolve(buyer, escrowA, [one.id, other.id]), new RegExp(`file ${other.id} is not`));
    await rejectsWith(files.resolve(buyer, escrowA, [randomUUID()]), 'FILE_NOT_FOUND', 'fileIds[0]');
    await rejectsWith(files.resolve(buyer, escrowA, [one.id, two.id, pending.id]), 'FILE_NOT_UPLOADED', 'fileIds[2]');
    await rejectsWith(files.resolve(buyer, escrowA, ['not-a-uuid']), 'VALIDATION_ERROR', 'fileIds[0]');
    await rejectsWith(files.resolve(buyer, escrowA, [one.id, one.id]), 'VALIDATION_ERROR', 'fileIds[1]');
  });

  it('presign, signed PUT and complete: the hash is of what arrived, the PUT alone stores nothing in the record', async () => {
    const bytes = randomBytes(5_000);
    const { file, upload: put } = await files.presignUpload(seller, escrowA, {
      fileName: 'photo.pdf',
      contentType: 'application/pdf',
      size: bytes.length,
      purpose: 'DELIVERABLE',
    });
    assert.deepEqual(
      { status: file.status, size: file.size, sha256: file.sha256 },
      { status: 'PENDING', size: 5_000, sha256: null },
    );
    assert.equal(put.method, 'PUT');
    assert.deepEqual(put.headers, { 'content-type': 'application/pdf' });
    assert.equal(put.expiresAt, '2026-12-02T10:05:00.000Z');
    await rejectsWith(files.complete(seller, escrowA, file.id), 'FILE_NOT_UPLOADED', 'fileId');
    await rejectsWith(files.open(seller, escrowA, file.id), 'FILE_NOT_UPLOADED');
    const token = tokenOf(put.url);
    await rejectsWith(files.signedPut(token, 'text/plain', streamOf(bytes)), 'FILE_TYPE_NOT_ALLOWED');
    await rejectsWith(files.signedPut(token, 'application/pdf', streamOf(randomBytes(5_001))), 'FILE_TOO_LARGE');
    await rejectsWith(files.signedPut(`${token}x`, 'application/pdf', streamOf(bytes)), 'FORBIDDEN');
    await rejectsWith(files.signedGet(token), 'FORBIDDEN');
    assert.deepEqual(await files.signedPut(token, 'application/pdf', streamOf(bytes)), { size: 5_000 });
    assert.equal(store.rows.get(file.id)?.status, 'PENDING');
    const done = await files.complete(buyer, escrowA, file.id);
    assert.deepEqual(
      { status: done.status, size: done.size, sha256: done.sha256, storedAt: done.storedAt },
      { status: 'STORED', size: 5_000, sha256: sha256(bytes), storedAt: '2026-12-02T10:00:00.000Z' },
    );
    assert.deepEqual(await files.complete(seller, escrowA, file.id), done, 'idempotent');
    assert.deepEqual(
      store.audit.map((a) => a.action),
      ['FileUploaded', 'FileStored'],
    );
    await rejectsWith(files.signedPut(token, 'application/pdf', streamOf(randomBytes(10))), 'FORBIDDEN');
    assert.deepEqual(await bytesOf((await files.open(buyer, escrowA, file.id)).body), bytes, 'content unchanged');

    const link = await files.downloadUrl(buyer, escrowA, file.id);
    assert.equal(link.expiresAt, '2026-12-02T10:05:00.000Z');
    const got = await files.signedGet(tokenOf(link.url));
    assert.equal(got.file.sha256, sha256(bytes));
    assert.deepEqual(await bytesOf(got.body), bytes);
    await rejectsWith(files.signedPut(tokenOf(link.url), 'application/pdf', streamOf(bytes)), 'FORBIDDEN');
    now = new Date('2026-12-02T10:05:00.000Z');
    await rejectsWith(files.signedGet(tokenOf(link.url)), 'FORBIDDEN');
  });

  it('complete refuses an object over the limit and removes it; presign refuses a declared size over it', async () => {
    await rejectsWith(
      files.presignUpload(buyer, escrowA, { fileName: 'big.pdf', contentType: 'application/pdf', size: 100_001 }),
      'FILE_TOO_LARGE',
      'size',
    );
    await rejectsWith(
      files.presignUpload(buyer, escrowA, { fileName: 'x.pdf', contentType: 'application/pdf', size: 1.5 }),
      'VALIDATION_ERROR',
      'size',
    );
    await rejectsWith(
      files.presignUpload(buyer, escrowA, { fileName: 'x.exe', contentType: 'application/x-msdownload', size: 1 }),
      'FILE_TYPE_NOT_ALLOWED',
    );
    assert.equal(store.rows.size, 0);
    const { file } = await files.presignUpload(buyer, escrowA, {
      fileName: 'x.pdf',
      contentType: 'application/pdf',
      size: 10,
    });
    // bytes put there behind the service's back (an S3 client ignoring the signed length)
    await storage.write(store.rows.get(file.id)!.storageKey, randomBytes(100_001), {
      contentType: 'application/pdf',
      maxBytes: 200_000,
    });
    await rejectsWith(files.complete(buyer, escrowA, file.id), 'FILE_TOO_LARGE', 'fileId');
    assert.equal(await storage.read(store.rows.get(file.id)!.storageKey), null);
    assert.equal(store.rows.get(file.id)?.status, 'PENDING');
    await rejectsWith(files.complete(buyer, escrowA, randomUUID()), 'FILE_NOT_FOUND', 'fileId');
    await rejectsWith(files.complete(buyer, escrowA, 'nope'), 'FILE_NOT_FOUND', 'fileId');
  });

  it("another escrow's file is not found through this escrow", async () => {
    const other = await files.upload(admin, escrowB, {
      fileName: 'b.pdf',
      contentType: 'application/pdf',
      body: streamOf(randomBytes(5)),
    });
    await rejectsWith(files.open(buyer, escrowA, other.id), 'FILE_NOT_FOUND');
    await rejectsWith(files.downloadUrl(buyer, escrowA, other.id), 'FILE_NOT_FOUND');
    await rejectsWith(files.complete(buyer, escrowA, other.id), 'FILE_NOT_FOUND');
    await rejectsWith(files.get(admin, escrowA, other.id), 'FILE_NOT_FOUND');
  });
});
