import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configureStorage } from '../src/adapters/storage/config.js';
import { createFileStorage } from '../src/adapters/storage/index.js';
import { fileStoreCheck } from '../src/composition/marketplace.js';
import { ENGINE_KINDS } from './harness.js';
import { testServer, type TestServer } from './httpHarness.js';

// /health reports the evidence and contract file store: ok while it takes a probe write, degraded (not down: escrows
// go on without files) when it does not, asked at most every 15 s.

interface Health {
  status: string;
  checks: Record<string, { status: string; detail?: string }>;
}

describe('/health: the file store', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'escrow-health-files-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('is ok while the local directory takes a write, degraded once it does not, re-asked after the TTL', async () => {
    const dir = join(root, 'files');
    const { settings, problems } = configureStorage({ FILES_DIR: dir }, { production: false, dataDir: root });
    assert.deepEqual(problems, []);
    const storage = createFileStorage(settings, {
      apiUrl: 'http://127.0.0.1:3000',
      signingKey: randomBytes(32),
      clock: { now: () => new Date() },
    });
    let now = 0;
    let asked = 0;
    const check = fileStoreCheck(
      settings,
      {
        check: () => {
          asked++;
          return storage.check();
        },
      },
      { ttlMs: 1_000, now: () => now },
    );
    assert.deepEqual(await check(), { status: 'ok', detail: 'local directory: answering' });

    // the directory writes go through is gone, and a file stands in its place: no probe can be written
    await rm(join(dir, 'tmp'), { recursive: true });
    await writeFile(join(dir, 'tmp'), 'not a directory');
    now = 999;
    assert.equal((await check()).status, 'ok', 'within the TTL: the answer before');
    assert.equal(asked, 1);
    now = 1_000;
    const broken = await check();
    assert.equal(broken.status, 'degraded');
    assert.match(broken.detail ?? '', /^local directory: not answering \(ENOTDIR\); file uploads and downloads fail$/);
    assert.equal(asked, 2);
  });
});

describe('/health: a file store that does not answer', () => {
  it('is degraded with TIMEOUT after the timeout, and never hangs the check', async () => {
    const { settings } = configureStorage({}, { production: false, dataDir: tmpdir() });
    const check = fileStoreCheck(settings, { check: () => new Promise<void>(() => undefined) }, { timeoutMs: 20 });
    assert.deepEqual(await check(), {
      status: 'degraded',
      detail: 'local directory: not answering (TIMEOUT); file uploads and downloads fail',
    });
  });
});

describe(`/health over HTTP: the file store (${ENGINE_KINDS[0]})`, () => {
  let s: TestServer;
  before(async () => {
    s = await testServer(ENGINE_KINDS[0]!, {}, ['api']);
  });
  after(() => s.close());

  it('lists the file store among the checks', async () => {
    const res = await s.call<Health>('GET', '/health');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.checks.files, { status: 'ok', detail: 'local directory: answering' });
  });
});
