import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ENGINE_KINDS, escrowInput } from './harness.js';
import { testServer, type TestServer } from './httpHarness.js';

/**
 * Evidence and contract files over HTTP on the local store: multipart uploads hashed exactly, downloads for the
 * parties and admins only, the presigned PUT → complete flow through the API's signed URLs, the limits as 413/415
 * problems that keep nothing, and a delivery citing a file with its SHA-256 in the event.
 */

interface FileJson {
  id: string;
  escrowId: string;
  purpose: string;
  fileName: string;
  contentType: string;
  size: number | null;
  sha256: string | null;
  status: string;
  uploadedBy: string;
}
interface ProblemJson {
  status: number;
  code: string;
  detail: string;
  errors?: { field: string; message: string }[];
}

const MAX = 4096;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

for (const kind of ENGINE_KINDS) {
  describe(`files over HTTP on ${kind}`, () => {
    let s: TestServer;
    let dir: string;
    const t: Record<'buyer' | 'seller' | 'stranger' | 'service' | 'admin', string> = {
      buyer: '',
      seller: '',
      stranger: '',
      service: '',
      admin: '',
    };

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'escrow-files-http-'));
      s = await testServer(kind, {
        FILES_DIR: dir,
        FILES_MAX_BYTES: String(MAX),
        FILES_ALLOWED_TYPES: 'application/pdf,text/plain',
        FILES_URL_TTL_SECONDS: '60',
      });
      t.buyer = await s.token('buyer-1', 'user');
      t.seller = await s.token('seller-1', 'user');
      t.stranger = await s.token('someone-else', 'user');
      t.service = await s.token('marketplace-backend', 'service');
      t.admin = await s.token('ops-admin', 'admin');
    });
    after(async () => {
      await s.close();
      await rm(dir, { recursive: true, force: true });
    });

    const create = async () => {
      const res = await s.call<{ id: string; payment: { reference: string } }>('POST', '/api/escrow', {
        token: t.service,
        body: escrowInput(),
      });
      assert.equal(res.status, 201, res.text);
      return res.body;
    };

    /** POST /files as multipart/form-data (fetch's FormData), the purpose field before the file. */
    const upload = async (
      escrowId: string,
      token: string,
      bytes: Uint8Array,
      opts: { name?: string; type?: string; purpose?: string } = {},
    ) => {
      const form = new FormData();
      if (opts.purpose) form.append('purpose', opts.purpose);
      form.append('file', new Blob([bytes], { type: opts.type ?? 'application/pdf' }), opts.name ?? 'invoice.pdf');
      const res = await fetch(`${s.baseUrl}/api/escrow/${escrowId}/files`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: form,
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: JSON.parse(text) as FileJson & ProblemJson, text };
    };

    const download = async (path: string, token?: string) => {
      const res = await fetch(`${s.baseUrl}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
      return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
    };

    const objectsOf = async (escrowId: string) =>
      readdir(join(dir, 'objects', 'escrows', escrowId)).catch(() => [] as string[]);

    it('a multipart upload is hashed exactly; parties, admins and the marketplace read it, a stranger gets 404', async () => {
      const e = await create();
      const bytes = randomBytes(3000);
      const up = await upload(e.id, t.seller, bytes, { name: 'Facture n°7.pdf', purpose: 'CONTRACT' });
      assert.equal(up.status, 201, up.text);
      assert.deepEqual(
        { ...up.body, id: undefined, createdAt: undefined, storedAt: undefined },
        {
          id: undefined,
          escrowId: e.id,
          purpose: 'CONTRACT',
          fileName: 'Facture n°7.pdf',
          contentType: 'application/pdf',
          size: 3000,
          sha256: sha256(bytes),
          status: 'STORED',
          uploadedBy: 'seller-1',
          createdAt: undefined,
          storedAt: undefined,
        },
      );
      const id = up.body.id;
      // the marketplace's service token uploads on a party's behalf but never reads a file back
      const asService = await download(`/api/escrow/${e.id}/files/${id}/content`, t.service);
      assert.equal(asService.status, 403);
      for (const who of ['buyer', 'seller', 'admin'] as const) {
        const got = await download(`/api/escrow/${e.id}/files/${id}/content`, t[who]);
        assert.equal(got.status, 200, who);
        assert.deepEqual(got.bytes, bytes);
        assert.equal(got.headers.get('content-type'), 'application/pdf');
        assert.equal(got.headers.get('content-length'), '3000');
        assert.equal(got.headers.get('x-content-sha256'), sha256(bytes));
        assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
        assert.match(
          got.headers.get('content-disposition') ?? '',
          /^attachment; filename="Facture n_7.pdf"; filename\*=UTF-8''Facture%20n%C2%B07.pdf$/,
        );
      }
      const list = await s.call<{ items: FileJson[] }>('GET', `/api/escrow/${e.id}/files`, { token: t.admin });
      assert.equal(list.status, 200, list.text);
      assert.deepEqual(
        list.body.items.map((f) => [f.id, f.sha256]),
        [[id, sha256(bytes)]],
      );
      const meta = await s.call<FileJson>('GET', `/api/escrow/${e.id}/files/${id}`, { token: t.buyer });
      assert.equal(meta.body.sha256, sha256(bytes));

      for (const path of ['', `/${id}`, `/${id}/content`]) {
        const res = await s.call<ProblemJson>('GET', `/api/escrow/${e.id}/files${path}`, { token: t.stranger });
        assert.equal(res.status, 404, path);
        assert.equal(res.body.code, 'ESCROW_NOT_FOUND');
      }
      const url = await s.call<ProblemJson>('POST', `/api/escrow/${e.id}/files/${id}/url`, { token: t.stranger });
      assert.equal(url.body.code, 'ESCROW_NOT_FOUND');
      const refused = await upload(e.id, t.stranger, randomBytes(10));
      assert.equal(refused.status, 404);
      assert.equal(refused.body.code, 'ESCROW_NOT_FOUND');
      const unauthenticated = await download(`/api/escrow/${e.id}/files/${id}/content`);
      assert.equal(unauthenticated.status, 401);

      const audit = await s.call<{ audit: { action: string; actorId: string; details?: Record<string, unknown> }[] }>(
        'GET',
        `/api/escrow/${e.id}?include=audit`,
        { token: t.admin },
      );
      const row = audit.body.audit.find((a) => a.action === 'FileUploaded');
      assert.ok(row, audit.text);
      assert.equal(row.actorId, 'seller-1');
    });

    it('over the size limit is 413, a type not allowed 415: problem+json naming the field, nothing kept', async () => {
      const e = await create();
      const big = await upload(e.id, t.buyer, randomBytes(MAX + 1));
      assert.equal(big.status, 413, big.text);
      assert.match(big.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal(big.body.code, 'FILE_TOO_LARGE');
      assert.deepEqual(big.body.errors, [{ field: 'file', message: `must be at most ${MAX} bytes` }]);
      const much = await upload(e.id, t.buyer, randomBytes(MAX * 20));
      assert.equal(much.status, 413, much.text);
      const html = await upload(e.id, t.buyer, Buffer.from('<script>alert(1)</script>'), {
        name: 'x.html',
        type: 'text/html',
      });
      assert.equal(html.status, 415, html.text);
      assert.equal(html.body.code, 'FILE_TYPE_NOT_ALLOWED');
      assert.deepEqual(html.body.errors, [
        { field: 'contentType', message: 'must be one of application/pdf, text/plain' },
      ]);
      const badName = await upload(e.id, t.buyer, randomBytes(5), { name: 'a\u0007b.pdf' });
      assert.equal(badName.status, 400, badName.text);
      assert.equal(badName.body.errors?.[0]?.field, 'fileName');
      const list = await s.call<{ items: FileJson[] }>('GET', `/api/escrow/${e.id}/files`, { token: t.buyer });
      assert.deepEqual(list.body.items, []);
      assert.deepEqual(await objectsOf(e.id), []);
      assert.equal((await upload(e.id, t.buyer, randomBytes(MAX))).status, 201, 'exactly the limit is fine');
    });

    it('a body that is not a multipart form with a file part is refused, naming what to send', async () => {
      const e = await create();
      const json = await s.call<ProblemJson>('POST', `/api/escrow/${e.id}/files`, { token: t.buyer, body: {} });
      assert.equal(json.status, 415, json.text);
      const form = new FormData();
      form.append('purpose', 'EVIDENCE');
      const noFile = await fetch(`${s.baseUrl}/api/escrow/${e.id}/files`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.buyer}` },
        body: form,
      });
      const problem = (await noFile.json()) as ProblemJson;
      assert.equal(noFile.status, 400);
      assert.equal(problem.errors?.[0]?.field, 'file');
      const purpose = await upload(e.id, t.buyer, randomBytes(5), { purpose: 'RECEIPT' });
      assert.equal(purpose.status, 400, purpose.text);
      assert.equal(purpose.body.errors?.[0]?.field, 'purpose');
    });

    it('presign, PUT to the signed URL, complete; a delivery cites the file with its hash in the event', async () => {
      const e = await create();
      const paid = await s.call<{ outcome: string }>('POST', `/api/sandbox/payments/${e.payment.reference}/succeed`);
      assert.equal(paid.body.outcome, 'FUNDS_HELD', paid.text);
      const bytes = randomBytes(2500);
      const pre = await s.call<{ file: FileJson; upload: { url: string; headers: Record<string, string> } }>(
        'POST',
        `/api/escrow/${e.id}/files/presign`,
        {
          token: t.seller,
          body: { fileName: 'photos.pdf', contentType: 'application/pdf', size: 2500, purpose: 'DELIVERABLE' },
        },
      );
      assert.equal(pre.status, 201, pre.text);
      assert.equal(pre.body.file.status, 'PENDING');
      const fileId = pre.body.file.id;
      const putPath = new URL(pre.body.upload.url).pathname;
      assert.match(putPath, /^\/api\/files\/signed\/[^/]+$/);

      const early = await s.call<ProblemJson>('POST', `/api/escrow/${e.id}/files/${fileId}/complete`, {
        token: t.seller,
      });
      assert.equal(early.status, 409, early.text);
      assert.equal(early.body.code, 'FILE_NOT_UPLOADED');
      const cite = (ids: string[]) =>
        s.call<{ events?: { type: string; data: { files?: unknown } }[] } & ProblemJson>(
          'POST',
          `/api/escrow/${e.id}/mark-delivered`,
          { token: t.seller, body: { title: 'photos sent', fileIds: ids } },
        );
      const pending = await cite([fileId]);
      assert.equal(pending.status, 409, pending.text);
      assert.equal(pending.body.code, 'FILE_NOT_UPLOADED');

      const put = (path: string, body: Uint8Array, type = 'application/pdf') =>
        fetch(`${s.baseUrl}${path}`, { method: 'PUT', headers: { 'content-type': type }, body });
      const forged = await put(`${putPath}x`, bytes);
      assert.equal(forged.status, 403);
      assert.equal(((await forged.json()) as ProblemJson).code, 'FORBIDDEN');
      assert.equal((await put(putPath, bytes, 'text/plain')).status, 415);
      assert.equal((await put(putPath, randomBytes(2501))).status, 413);
      const ok = await put(putPath, bytes);
      assert.equal(ok.status, 200, await ok.clone().text());
      assert.deepEqual(await ok.json(), { size: 2500 });
      const still = await s.call<FileJson>('GET', `/api/escrow/${e.id}/files/${fileId}`, { token: t.seller });
      assert.equal(still.body.status, 'PENDING', 'the PUT alone does not store the record');

      const done = await s.call<FileJson>('POST', `/api/escrow/${e.id}/files/${fileId}/complete`, { token: t.seller });
      assert.equal(done.status, 200, done.text);
      assert.deepEqual([done.body.status, done.body.size, done.body.sha256], ['STORED', 2500, sha256(bytes)]);
      const again = await s.call<FileJson>('POST', `/api/escrow/${e.id}/files/${fileId}/complete`, { token: t.buyer });
      assert.deepEqual(again.body, done.body, 'complete is idempotent');
      assert.equal((await put(putPath, randomBytes(10))).status, 403, 'a stored file cannot be overwritten');

      const link = await s.call<{ url: string; expiresAt: string }>('POST', `/api/escrow/${e.id}/files/${fileId}/url`, {
        token: t.buyer,
      });
      assert.equal(link.status, 200, link.text);
      const viaLink = await download(new URL(link.body.url).pathname);
      assert.equal(viaLink.status, 200);
      assert.deepEqual(viaLink.bytes, bytes);
      assert.equal(viaLink.headers.get('x-content-sha256'), sha256(bytes));
      s.clock.advance(61_000);
      assert.equal((await download(new URL(link.body.url).pathname)).status, 403, 'the link expires');

      const other = await create();
      const foreign = await upload(other.id, t.buyer, randomBytes(8));
      const wrong = await cite([fileId, foreign.body.id]);
      assert.equal(wrong.status, 404, wrong.text);
      assert.equal(wrong.body.code, 'FILE_NOT_FOUND');
      assert.equal(wrong.body.errors?.[0]?.field, 'fileIds[1]');

      const delivered = await cite([fileId]);
      assert.equal(delivered.status, 200, delivered.text);
      const full = await s.call<{ events: { type: string; data: { files?: unknown } }[] }>(
        'GET',
        `/api/escrow/${e.id}?include=events`,
        { token: t.admin },
      );
      const event = full.body.events.find((x) => x.type === 'EscrowDelivered');
      assert.deepEqual(event?.data.files, [{ fileId, sha256: sha256(bytes), fileName: 'photos.pdf' }], full.text);
    });
  });
}
