import { RiskScreeningUnavailable } from '../../app/ports/index.js';
import { callScreener } from './http.js';

export interface ChainalysisSettings {
  /** https://public.chainalysis.com */
  apiUrl: string;
  apiKey: string;
}

/** One identification of the free sanctions screening API (`GET /api/v1/address/{address}`). */
export interface ChainalysisIdentification {
  category: string;
  name: string;
  description?: string;
  url?: string;
}

export interface SanctionsAnswer {
  sanctioned: boolean;
  /** The lists named, for the operator: "OFAC SDN Tornado Cash 2022-08-08". */
  detail: string;
}

/**
 * Chainalysis' sanctions screening API: `GET {url}/api/v1/address/{address}` with `X-API-Key`; the answer is
 * `{identifications: [{category, name, description, url}]}`, empty for an address on no sanctions list.
 */
export class ChainalysisClient {
  constructor(
    private readonly settings: ChainalysisSettings & { timeoutMs: number },
    private readonly fetchImpl?: typeof fetch,
  ) {}

  async check(address: string): Promise<SanctionsAnswer> {
    const url = new URL(`/api/v1/address/${encodeURIComponent(address)}`, this.settings.apiUrl);
    const body = await callScreener<{ identifications?: unknown }>(
      { name: 'chainalysis', timeoutMs: this.settings.timeoutMs, ...(this.fetchImpl ? { fetch: this.fetchImpl } : {}) },
      url,
      { method: 'GET', headers: { 'X-API-Key': this.settings.apiKey } },
    );
    if (!body || !Array.isArray(body.identifications)) {
      throw new RiskScreeningUnavailable('chainalysis: the answer has no identifications list');
    }
    const ids = body.identifications as ChainalysisIdentification[];
    if (ids.length === 0) return { sanctioned: false, detail: 'chainalysis: on no sanctions list' };
    const names = ids.map((i) => [i.category, i.name].filter(Boolean).join(': ')).join('; ');
    return { sanctioned: true, detail: `sanctioned: chainalysis: ${names}`.slice(0, 500) };
  }
}
