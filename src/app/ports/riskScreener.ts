/**
 * Risk screening of a paying address (SPEC §6, USDC deposits): a sanctions check, then a risk score. REJECT (sanctioned,
 * or a score of 80 or more) sends the deposit down the refund path; REVIEW (50 or more) funds it flagged, held for an
 * admin; PASS funds it.
 */
export type RiskVerdict = 'PASS' | 'REVIEW' | 'REJECT';

export interface RiskResult {
  verdict: RiskVerdict;
  /** 0-100 where the screener scores (TRM); null for a sanctions-only answer. */
  score: number | null;
  sanctioned: boolean;
  /** Which screener(s) answered, e.g. "chainalysis+trm" or "static". */
  screener: string;
  /** What an operator reads: the sanction list or risk category the screener named. */
  detail: string;
  /** Answered from the shared cache (within its TTL) rather than by the screener. */
  cached: boolean;
}

export interface RiskScreener {
  readonly name: string;
  /** Throws RiskScreeningUnavailable when a screener cannot answer: the deposit is then held, never funded unscreened. */
  screen(input: { address: string; chain: string; asset: string }): Promise<RiskResult>;
  /** For /health: the last outage, if the screener is failing now. */
  health(): { status: 'ok' | 'error'; detail?: string };
}

/** A screener that did not answer (network, timeout, 5xx, bad credentials): the deposit waits, visibly. */
export class RiskScreeningUnavailable extends Error {
  override readonly name = 'RiskScreeningUnavailable';
}

/** Verdict thresholds (SPEC §6). */
export const RISK_REJECT_SCORE = 80;
export const RISK_REVIEW_SCORE = 50;

export function verdictOf(sanctioned: boolean, score: number | null): RiskVerdict {
  if (sanctioned || (score !== null && score >= RISK_REJECT_SCORE)) return 'REJECT';
  if (score !== null && score >= RISK_REVIEW_SCORE) return 'REVIEW';
  return 'PASS';
}

/** The shared cache of results (risk_screenings): an entry is used only until it expires. */
export interface RiskCacheStore {
  get(address: string, screener: string): Promise<Omit<RiskResult, 'cached'> | null>;
  put(address: string, result: Omit<RiskResult, 'cached'>, ttlMs: number): Promise<void>;
}
