import {
  RiskScreeningUnavailable,
  verdictOf,
  type RiskCacheStore,
  type RiskResult,
  type RiskScreener,
} from '../../app/ports/index.js';
import { ChainalysisClient } from './chainalysis.js';
import type { RiskSettings } from './config.js';
import { StaticScreener } from './staticScreener.js';
import { TrmClient } from './trm.js';

export interface RiskScreenerOptions {
  /** Injected in tests (the fakes run on 127.0.0.1 anyway). */
  fetch?: typeof fetch;
}

type Fresh = Omit<RiskResult, 'cached'>;

/**
 * The configured screener. The real ones: Chainalysis sanctions first (a sanctioned address is REJECTed without
 * asking TRM), then TRM's score, verdict by `verdictOf`; results shared through the cache for the TTL. A screener
 * that cannot answer throws RiskScreeningUnavailable and health() reports it until the next answer.
 */
export function createRiskScreener(
  settings: RiskSettings,
  cache: RiskCacheStore,
  opts: RiskScreenerOptions = {},
): RiskScreener {
  if (settings.screener === 'static') {
    return new StaticScreener({ denylist: settings.staticDenylist, reviewlist: settings.staticReviewlist });
  }
  return new CachedScreener(settings, cache, opts);
}

class CachedScreener implements RiskScreener {
  readonly name: string;
  private readonly chainalysis: ChainalysisClient | null;
  private readonly trm: TrmClient | null;
  private outage: string | null = null;

  constructor(
    private readonly settings: RiskSettings,
    private readonly cache: RiskCacheStore,
    opts: RiskScreenerOptions,
  ) {
    this.name = settings.screener;
    const t = { timeoutMs: settings.timeoutMs };
    const usesChainalysis = settings.screener === 'chainalysis' || settings.screener === 'chainalysis+trm';
    const usesTrm = settings.screener === 'trm' || settings.screener === 'chainalysis+trm';
    this.chainalysis = usesChainalysis ? new ChainalysisClient({ ...settings.chainalysis, ...t }, opts.fetch) : null;
    this.trm = usesTrm ? new TrmClient({ ...settings.trm, ...t }, opts.fetch) : null;
  }

  async screen(input: { address: string; chain: string; asset: string }): Promise<RiskResult> {
    const address = input.address.trim().toLowerCase();
    // A cache that cannot be read is a miss (screened live); one that cannot be written costs a later call only.
    const hit = await this.cache.get(address, this.name).catch(() => null);
    if (hit) return { ...hit, cached: true };
    let fresh: Fresh;
    try {
      fresh = await this.ask(address, input.chain.toLowerCase());
    } catch (err) {
      const e =
        err instanceof RiskScreeningUnavailable ? err : new RiskScreeningUnavailable(`${this.name}: ${String(err)}`);
      this.outage = e.message;
      throw e;
    }
    this.outage = null;
    await this.cache.put(address, fresh, this.settings.cacheTtlSeconds * 1000).catch(() => undefined);
    return { ...fresh, cached: false };
  }

  private async ask(address: string, chain: string): Promise<Fresh> {
    const details: string[] = [];
    if (this.chainalysis) {
      const s = await this.chainalysis.check(address);
      if (s.sanctioned)
        return { verdict: 'REJECT', score: null, sanctioned: true, screener: this.name, detail: s.detail };
      details.push(s.detail);
    }
    if (!this.trm) {
      return {
        verdict: verdictOf(false, null),
        score: null,
        sanctioned: false,
        screener: this.name,
        detail: details.join('; '),
      };
    }
    const t = await this.trm.screen(address, chain);
    const detail = t.sanctioned ? t.detail : [...details, t.detail].join('; ');
    return {
      verdict: verdictOf(t.sanctioned, t.score),
      score: t.score,
      sanctioned: t.sanctioned,
      screener: this.name,
      detail,
    };
  }

  health(): { status: 'ok' | 'error'; detail?: string } {
    return this.outage ? { status: 'error', detail: this.outage } : { status: 'ok' };
  }
}
