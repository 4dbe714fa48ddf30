import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { progressBar } from './progress.js';

describe('progressBar: long runs drawn on a terminal stderr only', () => {
  const io = (errIsTTY: boolean) => {
    const err: string[] = [];
    return { err, io: { out: () => undefined, err: (t: string) => void err.push(t), errIsTTY } };
  };

  it('draws done/total with a bar, throttled, always the last step, and clears itself', () => {
    const t = io(true);
    let now = 0;
    const p = progressBar(t.io, 'escrows checked', () => now);
    p.update(200, 1000);
    now = 50;
    p.update(400, 1000); // within 100 ms of the last draw: skipped
    now = 150;
    p.update(600, 1000);
    now = 160;
    p.update(1000, 1000); // the last step is drawn at once
    p.end();
    assert.deepEqual(t.err, [
      `\rescrows checked [${'#'.repeat(6)}${'.'.repeat(24)}] 20% 200/1000`,
      `\rescrows checked [${'#'.repeat(18)}${'.'.repeat(12)}] 60% 600/1000`,
      `\rescrows checked [${'#'.repeat(30)}] 100% 1000/1000`,
      '\r\x1b[2K',
    ]);
  });

  it('writes nothing into a pipe or a log file', () => {
    const t = io(false);
    const p = progressBar(t.io, 'escrows checked');
    p.update(1, 2);
    p.end();
    assert.deepEqual(t.err, []);
  });
});
