import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommitBatcher } from './commitBatcher.js';
import type { Database } from './database.js';

/**
 * A database whose escrow_commit_batch refuses, as a whole and whether isolated or not, any batch holding a poisoned
 * command (what a failure outside every command's savepoint looks like), and commits the rest. Each call waits a
 * tick, so commands submitted together queue and go in batches.
 */
function fakeDatabase(failure: (texts: string[]) => Error | null) {
  const batches: { size: number; isolate: boolean }[] = [];
  const db = {
    kind: 'postgres',
    async query(_sql: string, params: readonly unknown[] = []) {
      // the command texts, one parameter each, then `isolate`
      const texts = params.slice(0, -1) as string[];
      const isolate = params.at(-1) as boolean;
      batches.push({ size: texts.length, isolate });
      await new Promise((r) => setImmediate(r));
      const err = failure(texts);
      if (err) throw err;
      return { rows: [{ out: texts.map((t) => ({ committed: JSON.parse(t) as unknown })) }], rowCount: 1 };
    },
  } as unknown as Database;
  return { db, batches };
}

const inputs = (n: number, poisoned: number[]) =>
  Array.from({ length: n }, (_, i) => ({ n: i, ...(poisoned.includes(i) ? { poison: true } : {}) }));

describe('CommitBatcher', () => {
  it('a batch refused as a whole is split until the refused command is alone: every other command commits', async () => {
    const { db, batches } = fakeDatabase((texts) =>
      texts.some((t) => t.includes('"poison"')) ? new Error('batch refused') : null,
    );
    const batcher = new CommitBatcher(db, { maxBatch: 64, maxInFlight: 1 });
    const results = await Promise.allSettled(inputs(50, [7, 33]).map((i) => batcher.submit(i)));
    const refused = results.flatMap((r, i) => (r.status === 'rejected' ? [i] : []));
    assert.deepEqual(refused, [7, 33]);
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') assert.deepEqual(r.value, { committed: { n: i } }, 'each command its own outcome');
    });
    // One alone, then 49 together; each poisoned half is halved again: a few dozen statements, not one per command.
    assert.ok(batches.length < 40, `${batches.length} statements`);
  });

  it('commands keep their submission order through the split', async () => {
    const order: number[] = [];
    const { db } = fakeDatabase((texts) => {
      if (texts.some((t) => t.includes('"poison"'))) return new Error('batch refused');
      for (const t of texts) order.push((JSON.parse(t) as { n: number }).n);
      return null;
    });
    const batcher = new CommitBatcher(db, { maxBatch: 64, maxInFlight: 1 });
    await Promise.allSettled(inputs(30, [12]).map((i) => batcher.submit(i)));
    assert.deepEqual(
      order,
      Array.from({ length: 30 }, (_, i) => i).filter((i) => i !== 12),
    );
  });

  it('when the database itself is gone, the batch fails once, without splitting', async () => {
    const gone = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const { db, batches } = fakeDatabase(() => gone);
    const batcher = new CommitBatcher(db, { maxBatch: 64, maxInFlight: 1 });
    const results = await Promise.allSettled(inputs(20, []).map((i) => batcher.submit(i)));
    assert.ok(results.every((r) => r.status === 'rejected' && r.reason === gone));
    // The first command alone, then the other 19 tried plainly and isolated: no halving against a dead database.
    assert.deepEqual(
      batches.map((b) => b.size),
      [1, 19, 19],
    );
  });
});
