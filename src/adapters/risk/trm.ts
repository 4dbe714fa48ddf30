import { RiskScreeningUnavailable } from '../../app/ports/index.js';
import { callScreener } from './http.js';

export interface TrmSettings {
  /** https://api.trmlabs.com */
  apiUrl: string;
  apiKey: string;
}

/** TRM's address screening answer (`POST /public/v2/screening/addresses`), one element per address asked. */
export interface TrmAddressScreening {
  accountExternalId?: string | null;
  address: string;
  addressSubmitted?: string;
  chain: string;
  addressRiskIndicators: TrmRiskIndicator[];
  entities: TrmEntity[];
  trmAppUrl?: string;
}

export interface TrmRiskIndicator {
  category: string;
  categoryId: string;
  categoryRiskScoreLevel: number | null;
  categoryRiskScoreLevelLabel: 'Unknown' | 'Low' | 'Medium' | 'High' | 'Severe' | null;
  incomingVolumeUsd: string;
  outgoingVolumeUsd: string;
  riskType: 'OWNERSHIP' | 'COUNTERPARTY' | 'INDIRECT';
  totalVolumeUsd: string;
}

export interface TrmEntity {
  category: string;
  categoryId: string;
  entity: string;
  riskScoreLevel: number | null;
  riskScoreLevelLabel: string | null;
  trmAppUrl?: string;
  trmUrn?: string;
}

export interface TrmAnswer {
  /** 0-100, see scoreOfLevel. */
  score: number;
  /** TRM attributes the address itself (ownership) to a sanctioned entity. */
  sanctioned: boolean;
  detail: string;
}

/**
 * TRM scores risk per indicator and entity as a level 0-15 with a label (Low 1-5, Medium 6-9, High 10-14,
 * Severe 15). The engine's 0-100 score puts each band on the SPEC §6 thresholds: Low → 8-40 (PASS), Medium → 50-74
 * (REVIEW, ≥ 50), High → 80-96 and Severe → 100 (REJECT, ≥ 80). The address's score is its worst indicator or
 * entity; a level missing but labelled scores by its label; no indicators at all is 0.
 */
export function scoreOfLevel(level: number | null | undefined, label?: string | null): number {
  if (typeof level === 'number' && Number.isFinite(level)) {
    const l = Math.max(0, Math.min(15, Math.round(level)));
    if (l === 0) return 0;
    if (l <= 5) return l * 8;
    if (l <= 9) return 50 + (l - 6) * 8;
    if (l <= 14) return 80 + (l - 10) * 4;
    return 100;
  }
  return { Low: 20, Medium: 60, High: 85, Severe: 100 }[label ?? ''] ?? 0;
}

const isSanctions = (category: string | undefined) => /sanction/i.test(category ?? '');

/** TRM Labs address screening, HTTP basic auth with the API key as both user and password (as TRM documents). */
export class TrmClient {
  constructor(
    private readonly settings: TrmSettings & { timeoutMs: number },
    private readonly fetchImpl?: typeof fetch,
  ) {}

  async screen(address: string, chain: string): Promise<TrmAnswer> {
    const auth = Buffer.from(`${this.settings.apiKey}:${this.settings.apiKey}`).toString('base64');
    const body = await callScreener<unknown>(
      { name: 'trm', timeoutMs: this.settings.timeoutMs, ...(this.fetchImpl ? { fetch: this.fetchImpl } : {}) },
      new URL('/public/v2/screening/addresses', this.settings.apiUrl),
      { method: 'POST', headers: { authorization: `Basic ${auth}` }, body: [{ address, chain }] },
    );
    if (!Array.isArray(body)) throw new RiskScreeningUnavailable('trm: the answer is not a list of screenings');
    const list = body as TrmAddressScreening[];
    const mine = list.find((s) => s.address?.toLowerCase() === address.toLowerCase()) ?? list[0];
    if (!mine || !Array.isArray(mine.addressRiskIndicators) || !Array.isArray(mine.entities)) {
      throw new RiskScreeningUnavailable('trm: the answer has no screening of the address');
    }
    return assess(mine);
  }
}

function assess(s: TrmAddressScreening): TrmAnswer {
  const findings = [
    ...s.addressRiskIndicators.map((i) => ({
      score: scoreOfLevel(i.categoryRiskScoreLevel, i.categoryRiskScoreLevelLabel),
      what: `${i.category} (${i.riskType.toLowerCase()}, ${i.categoryRiskScoreLevelLabel ?? 'level ' + String(i.categoryRiskScoreLevel)})`,
      sanctioned: isSanctions(i.category) && i.riskType === 'OWNERSHIP',
    })),
    ...s.entities.map((e) => ({
      score: scoreOfLevel(e.riskScoreLevel, e.riskScoreLevelLabel),
      what: `${e.entity} (${e.category}, ${e.riskScoreLevelLabel ?? 'level ' + String(e.riskScoreLevel)})`,
      sanctioned: isSanctions(e.category),
    })),
  ].sort((a, b) => b.score - a.score);
  const worst = findings[0];
  const sanctioned = findings.some((f) => f.sanctioned);
  const score = sanctioned ? 100 : (worst?.score ?? 0);
  const named = findings
    .slice(0, 3)
    .map((f) => f.what)
    .join('; ');
  const detail = `${sanctioned ? 'sanctioned: ' : ''}trm: score ${score}${named ? `: ${named}` : ': no risk indicators'}`;
  return { score, sanctioned, detail: detail.slice(0, 500) };
}
