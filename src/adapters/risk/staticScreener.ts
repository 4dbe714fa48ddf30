import type { RiskResult, RiskScreener } from '../../app/ports/index.js';

/**
 * The offline screener (RISK_SCREENER=static, the default): addresses on RISK_STATIC_DENYLIST are REJECTed as
 * sanctioned, those on RISK_STATIC_REVIEWLIST go to REVIEW, everything else PASSes. It calls nothing and never fails.
 */
export class StaticScreener implements RiskScreener {
  readonly name = 'static';
  private readonly deny: Set<string>;
  private readonly review: Set<string>;

  constructor(lists: { denylist: readonly string[]; reviewlist: readonly string[] }) {
    this.deny = new Set(lists.denylist.map((a) => a.toLowerCase()));
    this.review = new Set(lists.reviewlist.map((a) => a.toLowerCase()));
  }

  screen(input: { address: string }): Promise<RiskResult> {
    const a = input.address.trim().toLowerCase();
    const base = { screener: 'static', score: null, cached: false } as const;
    if (this.deny.has(a)) {
      return Promise.resolve({
        ...base,
        verdict: 'REJECT',
        sanctioned: true,
        detail: 'sanctioned: static: RISK_STATIC_DENYLIST',
      });
    }
    if (this.review.has(a)) {
      return Promise.resolve({
        ...base,
        verdict: 'REVIEW',
        sanctioned: false,
        detail: 'static: RISK_STATIC_REVIEWLIST',
      });
    }
    return Promise.resolve({ ...base, verdict: 'PASS', sanctioned: false, detail: 'static: on no list' });
  }

  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
