/**
 * Loaded into every test file's process (`--import`, see package.json): after the file's last test and hook, nothing
 * the tests started may still be running. A timer, socket, server, child process or worker left open fails the file,
 * naming what was left, instead of hanging the run.
 */
import { basename } from 'node:path';
import { after } from 'node:test';

/** What every process has: its standard streams (pipes or a terminal) and the test runner's own plumbing. */
const BASELINE = new Set(['PipeWrap', 'TTYWrap', 'FSReqCallback', 'FSReqPromise', 'GetAddrInfoReqWrap']);

after(async () => {
  // Closing handles finish on the next turns of the loop (socket 'close', server close callbacks).
  for (let i = 0; i < 20; i++) {
    if (leaked().length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50).unref());
  }
  const left = leaked();
  if (left.length === 0) return;
  // The leak would keep this process alive for good: exit once the failure is reported.
  setTimeout(() => process.exit(1), 2000).unref();
  throw new Error(
    `${basename(process.argv[1] ?? 'this file')}: the tests left ${left.join(', ')} open (close every server, pool, timer and child in an after hook)`,
  );
});

function leaked(): string[] {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) {
    if (!BASELINE.has(r)) counts.set(r, (counts.get(r) ?? 0) + 1);
  }
  return [...counts].map(([r, n]) => (n > 1 ? `${n} × ${r}` : r));
}
