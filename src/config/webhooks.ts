import { z } from 'zod';

// Outgoing webhooks (issue 14; Standard Webhooks). The retry schedule is the specification's: an attempt at once,
// then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h (about three days in all). An endpoint every
// attempt of which has failed for WEBHOOKS_DISABLE_AFTER_HOURS (5 days) is disabled and operators are told.

/** The specification's schedule: the delay before each attempt, in seconds. */
export const STANDARD_RETRY_SCHEDULE = [0, 5, 300, 1800, 7200, 18_000, 36_000, 50_400, 72_000, 86_400] as const;

const DURATION = /^(0|[1-9]\d{0,6})(ms|s|m|h)$/;
const SCHEDULE = /^\s*[^,]+(\s*,\s*[^,]+)*\s*$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

export const webhookVariables = {
  /** Private, loopback and link-local endpoint addresses (and plain http): development and tests only. */
  WEBHOOKS_ALLOW_PRIVATE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** The whole exchange with a receiver: connect, answer, body. */
  WEBHOOKS_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(15_000),
  /** Messages in flight at once (over every endpoint). */
  WEBHOOKS_CONCURRENCY: z.coerce.number().int().min(1).max(512).default(32),
  WEBHOOKS_POLL_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  WEBHOOKS_DISABLE_AFTER_HOURS: z.coerce.number().int().min(1).max(720).default(120),
  /** The delays before each attempt, e.g. `0s,5s,5m,30m,2h,5h,10h,14h,20h,24h` (the default, the spec's). */
  WEBHOOKS_RETRY_SCHEDULE: z
    .string()
    .regex(SCHEDULE, 'must be comma-separated durations such as 0s,5s,5m,30m,2h')
    .optional(),
};

export interface WebhookConfig {
  allowPrivate: boolean;
  timeoutMs: number;
  concurrency: number;
  pollIntervalMs: number;
  disableAfterMs: number;
  /** The delay before attempt n+1 of a round, in ms (scheduleMs[0] is the first attempt's: 0). */
  scheduleMs: number[];
}

export function webhookSection(env: {
  WEBHOOKS_ALLOW_PRIVATE: boolean;
  WEBHOOKS_TIMEOUT_MS: number;
  WEBHOOKS_CONCURRENCY: number;
  WEBHOOKS_POLL_INTERVAL_MS: number;
  WEBHOOKS_DISABLE_AFTER_HOURS: number;
  WEBHOOKS_RETRY_SCHEDULE?: string | undefined;
}): WebhookConfig {
  return {
    allowPrivate: env.WEBHOOKS_ALLOW_PRIVATE,
    timeoutMs: env.WEBHOOKS_TIMEOUT_MS,
    concurrency: env.WEBHOOKS_CONCURRENCY,
    pollIntervalMs: env.WEBHOOKS_POLL_INTERVAL_MS,
    disableAfterMs: env.WEBHOOKS_DISABLE_AFTER_HOURS * 3_600_000,
    scheduleMs: env.WEBHOOKS_RETRY_SCHEDULE
      ? parseSchedule(env.WEBHOOKS_RETRY_SCHEDULE)
      : STANDARD_RETRY_SCHEDULE.map((s) => s * 1000),
  };
}

/** A schedule that is not durations, not ascending, longer than 20 attempts or not starting at 0: named at start. */
export function webhookProblems(raw: Readonly<Record<string, string>>): string[] {
  const value = raw.WEBHOOKS_RETRY_SCHEDULE;
  if (!value || !SCHEDULE.test(value)) return [];
  const parts = value.split(',').map((p) => p.trim());
  const bad = parts.filter((p) => !DURATION.test(p));
  if (bad.length > 0) {
    return [`WEBHOOKS_RETRY_SCHEDULE: ${bad.join(', ')} is not a duration (a number with ms, s, m or h, e.g. 5m)`];
  }
  const ms = parseSchedule(value);
  const problems: string[] = [];
  if (ms.length > 20) problems.push('WEBHOOKS_RETRY_SCHEDULE: at most 20 attempts');
  if (ms[0] !== 0) problems.push('WEBHOOKS_RETRY_SCHEDULE: the first attempt is immediate: start with 0s');
  if (ms.some((d, i) => i > 0 && d < ms[i - 1]!)) problems.push('WEBHOOKS_RETRY_SCHEDULE: delays must not decrease');
  return problems;
}

function parseSchedule(value: string): number[] {
  return value.split(',').map((p) => {
    const m = DURATION.exec(p.trim());
    return m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : Number.NaN;
  });
}
