import { z } from 'zod';

export type RiskScreenerKind = 'static' | 'chainalysis' | 'trm' | 'chainalysis+trm';

export interface RiskSettings {
  screener: RiskScreenerKind;
  chainalysis: { apiUrl: string; apiKey: string };
  trm: { apiUrl: string; apiKey: string };
  /** How long a result is reused (shared cache, risk_screenings); never forever. */
  cacheTtlSeconds: number;
  /** Per screener call. */
  timeoutMs: number;
  /** The static screener's lists (lower case). */
  staticDenylist: string[];
  staticReviewlist: string[];
}

export const DEFAULT_CHAINALYSIS_API_URL = 'https://public.chainalysis.com';
export const DEFAULT_TRM_API_URL = 'https://api.trmlabs.com';
export const DEFAULT_RISK_CACHE_TTL_SECONDS = 86_400;
export const DEFAULT_RISK_TIMEOUT_MS = 5_000;
/** A cached verdict older than 30 days would outlive sanctions list updates by far. */
export const MAX_RISK_CACHE_TTL_SECONDS = 30 * 86_400;

const list = z.string().max(100_000);

export const riskVariables = {
  RISK_SCREENER: z.enum(['static', 'chainalysis', 'trm', 'chainalysis+trm']).optional(),
  CHAINALYSIS_API_URL: z.string().url().optional(),
  CHAINALYSIS_API_KEY: z.string().min(8).optional(),
  TRM_API_URL: z.string().url().optional(),
  TRM_API_KEY: z.string().min(8).optional(),
  RISK_CACHE_TTL_SECONDS: z
    .string()
    .regex(/^[1-9]\d{0,6}$/, 'seconds, an integer ≥ 1')
    .optional(),
  RISK_TIMEOUT_MS: z
    .string()
    .regex(/^[1-9]\d{0,5}$/, 'milliseconds, an integer from 1 to 999999')
    .optional(),
  RISK_STATIC_DENYLIST: list.optional(),
  RISK_STATIC_REVIEWLIST: list.optional(),
};

const addresses = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((a) => a.trim().toLowerCase())
    .filter((a) => a.length > 0);

/** The risk section: which screener, its credentials, the cache TTL; problems are reported with the rest. */
export function configureRisk(
  raw: Readonly<Record<string, string>>,
  ctx: { production: boolean },
): { settings: RiskSettings; problems: string[] } {
  const problems: string[] = [];
  const screener = (raw.RISK_SCREENER ?? 'static') as RiskScreenerKind;
  const settings: RiskSettings = {
    screener,
    chainalysis: {
      apiUrl: raw.CHAINALYSIS_API_URL ?? DEFAULT_CHAINALYSIS_API_URL,
      apiKey: raw.CHAINALYSIS_API_KEY ?? '',
    },
    trm: { apiUrl: raw.TRM_API_URL ?? DEFAULT_TRM_API_URL, apiKey: raw.TRM_API_KEY ?? '' },
    cacheTtlSeconds: raw.RISK_CACHE_TTL_SECONDS ? Number(raw.RISK_CACHE_TTL_SECONDS) : DEFAULT_RISK_CACHE_TTL_SECONDS,
    timeoutMs: raw.RISK_TIMEOUT_MS ? Number(raw.RISK_TIMEOUT_MS) : DEFAULT_RISK_TIMEOUT_MS,
    staticDenylist: addresses(raw.RISK_STATIC_DENYLIST),
    staticReviewlist: addresses(raw.RISK_STATIC_REVIEWLIST),
  };
  const uses = (s: 'chainalysis' | 'trm') => screener === s || screener === 'chainalysis+trm';
  for (const [s, key, url] of [
    ['chainalysis', 'CHAINALYSIS_API_KEY', 'CHAINALYSIS_API_URL'],
    ['trm', 'TRM_API_KEY', 'TRM_API_URL'],
  ] as const) {
    if (!uses(s)) continue;
    if (!raw[key]) problems.push(`${key}: required when RISK_SCREENER=${screener} (at least 8 characters)`);
    if (ctx.production && !settings[s].apiUrl.startsWith('https://')) {
      problems.push(`${url}: must be an https:// URL in production (the API key travels with every call)`);
    }
  }
  if (settings.cacheTtlSeconds > MAX_RISK_CACHE_TTL_SECONDS) {
    problems.push(
      `RISK_CACHE_TTL_SECONDS: at most ${MAX_RISK_CACHE_TTL_SECONDS} (30 days): a verdict must be re-checked`,
    );
  }
  const both = settings.staticDenylist.filter((a) => settings.staticReviewlist.includes(a));
  if (both.length > 0) {
    problems.push(
      `RISK_STATIC_DENYLIST, RISK_STATIC_REVIEWLIST: an address is on both lists (${both.slice(0, 3).join(', ')})`,
    );
  }
  if (screener !== 'static' && (settings.staticDenylist.length > 0 || settings.staticReviewlist.length > 0)) {
    problems.push(
      `RISK_STATIC_DENYLIST, RISK_STATIC_REVIEWLIST: only used with RISK_SCREENER=static (it is ${screener})`,
    );
  }
  return { settings, problems };
}
