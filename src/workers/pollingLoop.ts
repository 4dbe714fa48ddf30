/**
 * A worker loop: runs `tick` until stopped, sleeping `intervalMs` between ticks, or less when the tick asks for it
 * (a full batch means more work is waiting), and waking early on `wake()` (a commit, a NOTIFY). stop() waits for
 * the running tick, so no work is left half done at shutdown.
 */
export class PollingLoop {
  private running = false;
  private current: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private wakeUp: (() => void) | null = null;
  private pendingWake = false;

  constructor(
    readonly name: string,
    private readonly tick: () => Promise<number | undefined>,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.current = this.run();
  }

  wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.pendingWake = true;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.current;
    this.current = null;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let delay = this.intervalMs;
      try {
        const asked = await this.tick();
        if (asked !== undefined) delay = Math.min(delay, asked);
        failures = 0;
      } catch (err) {
        this.onError(err);
        failures++;
        delay = Math.min(this.intervalMs * 2 ** Math.min(failures, 6), 60_000);
      }
      if (!this.running) break;
      await this.sleep(delay);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.pendingWake) {
      this.pendingWake = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        if (this.timer) clearTimeout(this.timer);
        this.timer = null;
        this.wakeUp = null;
        resolve();
      };
      this.wakeUp = done;
      this.timer = setTimeout(done, ms);
    });
  }
}
