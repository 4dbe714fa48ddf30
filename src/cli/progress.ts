import type { Io } from './output.js';

const WIDTH = 30;
/** At most this often a bar is redrawn (a fast run would otherwise spend its time drawing). */
const REDRAW_MS = 100;

export interface Progress {
  /** `done` of `total` so far. */
  update(done: number, total: number): void;
  /** Clears the bar (the command's output follows on a clean line). */
  end(): void;
}

const silent: Progress = { update: () => undefined, end: () => undefined };

/**
 * A progress bar on stderr for the long runs (`escrow verify` over every escrow), drawn only when stderr is a
 * terminal: a pipe or a log file never gets carriage returns, and stdout (the command's JSON) is never touched.
 */
export function progressBar(io: Io, label: string, now: () => number = Date.now): Progress {
  if (!io.errIsTTY) return silent;
  let drawn = false;
  let last = Number.NEGATIVE_INFINITY;
  return {
    update(done, total) {
      const t = now();
      if (done < total && t - last < REDRAW_MS) return;
      last = t;
      const share = total > 0 ? Math.min(1, done / total) : 1;
      const filled = Math.round(share * WIDTH);
      const bar = `${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}`;
      io.err(`\r${label} [${bar}] ${Math.floor(share * 100)}% ${done}/${total}`);
      drawn = true;
    },
    end() {
      if (drawn) io.err('\r\x1b[2K');
      drawn = false;
    },
  };
}
