/**
 * Loaded into every test file's process (`--import`, see package.json). Once the file's tests and hooks are done the
 * process must exit by itself: a timer, socket, server, child process or worker the tests left open would keep it
 * alive (and hang the run). If it is still alive 10 s after the last test, the leak is named on stderr and the file
 * fails (exit code 1) instead.
 */
import { basename } from 'node:path';
import { after } from 'node:test';

/** The standard streams and the runner's own plumbing: present in every process, never a leak. */
const BASELINE = new Set(['PipeWrap', 'TTYWrap', 'FSReqCallback', 'FSReqPromise']);

// This root hook runs before the file's own top-level `after` hooks (describe-level ones run earlier still), so it
// only arms an unref'd timer: a clean process exits without waiting for it; it fires only when something keeps the
// process alive. A file's top-level cleanup therefore has 10 s to finish.
after(() => {
  setTimeout(() => {
    const counts = new Map<string, number>();
    for (const r of process.getActiveResourcesInfo()) {
      if (!BASELINE.has(r)) counts.set(r, (counts.get(r) ?? 0) + 1);
    }
    const left = [...counts].map(([r, n]) => (n > 1 ? `${n} × ${r}` : r)).join(', ') || 'a handle';
    process.stderr.write(
      `${basename(process.argv[1] ?? 'this test file')}: the tests left ${left} open after their last hook ` +
        '(close every server, pool, timer and child process in an after hook)\n',
    );
    process.exit(1);
  }, 10_000).unref();
});
