import type { Redis } from 'ioredis';
import { HttpError } from '../problem.js';

/**
 * Per-user fixed window: 50 escrow requests a minute (SPEC §5), keyed by the verified token subject. Counters live
 * in Redis when configured (limits hold across replicas), in this process otherwise.
 */
export class UserRateLimit {
  private window = 0;
  private counts = new Map<string, number>();
  constructor(
    private readonly perMinute: number,
    private readonly redis: Redis | undefined,
  ) {}

  async check(userId: string): Promise<void> {
    const now = Date.now();
    const window = Math.floor(now / 60_000);
    let n: number;
    if (this.redis) {
      const key = `escrow-rl-user:${userId}:${window}`;
      const res = await this.redis.multi().incr(key).pexpire(key, 61_000).exec();
      n = Number(res?.[0]?.[1] ?? 0);
    } else {
      if (window !== this.window) {
        this.window = window;
        this.counts = new Map();
      }
      n = (this.counts.get(userId) ?? 0) + 1;
      this.counts.set(userId, n);
    }
    if (n > this.perMinute) {
      const retry = Math.ceil(((window + 1) * 60_000 - now) / 1000);
      throw new HttpError(429, 'RATE_LIMITED', `at most ${this.perMinute} escrow requests per minute per user`, {
        'retry-after': String(retry),
      });
    }
  }
}
