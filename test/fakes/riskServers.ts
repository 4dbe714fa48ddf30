import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Fakes of the screening APIs over real HTTP on 127.0.0.1 (test doubles only), answering in the providers' shapes:
 * Chainalysis' sanctions API (`GET /api/v1/address/{address}`, `X-API-Key`, `{identifications: [...]}`) and TRM
 * Labs' address screening (`POST /public/v2/screening/addresses`, HTTP basic auth with the key as user and password,
 * an array of screenings with `addressRiskIndicators` and `entities`). Answers are set per address; faults
 * (failNext, hangNext, rateLimitNext) and a log of every request.
 */
export interface ScreeningRequest {
  method: string;
  path: string;
  headers: Record<string, string | undefined>;
  body: unknown;
}

abstract class FakeApi {
  readonly requests: ScreeningRequest[] = [];
  private server: Server | null = null;
  private faults: ('hang' | 'rateLimit' | number)[] = [];
  private readonly hanging = new Set<ServerResponse>();

  get url(): string {
    const a = this.server?.address() as AddressInfo | undefined;
    if (!a) throw new Error('fake not started');
    return `http://127.0.0.1:${a.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.receive(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    for (const r of this.hanging) r.destroy();
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }

  failNext(n = 1, status = 500): void {
    for (let i = 0; i < n; i++) this.faults.push(status);
  }
  hangNext(n = 1): void {
    for (let i = 0; i < n; i++) this.faults.push('hang');
  }
  rateLimitNext(n = 1): void {
    for (let i = 0; i < n; i++) this.faults.push('rateLimit');
  }

  protected abstract authorized(headers: Record<string, string | undefined>): boolean;
  protected abstract route(r: ScreeningRequest): [number, unknown];

  private async receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]),
    );
    const r: ScreeningRequest = {
      method: req.method ?? 'GET',
      path: new URL(req.url ?? '/', 'http://x').pathname,
      headers,
      body,
    };
    this.requests.push(r);
    const fault = this.faults.shift();
    if (fault === 'hang') {
      this.hanging.add(res);
      return;
    }
    if (fault === 'rateLimit') return send(res, 429, { message: 'Too many requests' }, { 'retry-after': '1' });
    if (typeof fault === 'number') return send(res, fault, { message: 'Internal server error' });
    if (!this.authorized(headers)) return send(res, 401, { message: 'Unauthorized' });
    const [status, out] = this.route(r);
    send(res, status, out);
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'x-request-id': randomBytes(6).toString('hex'),
    ...headers,
  });
  res.end(JSON.stringify(body));
}

export interface ChainalysisIdentification {
  category: string;
  name: string;
  description: string;
  url: string | null;
}

export class FakeChainalysis extends FakeApi {
  /** Addresses (lower case) on a sanctions list. */
  readonly sanctioned = new Map<string, ChainalysisIdentification[]>();
  constructor(readonly apiKey = 'chainalysis-test-key') {
    super();
  }

  sanction(address: string, name = 'SANCTIONS: OFAC SDN Test Entity 2026-01-01'): void {
    this.sanctioned.set(address.toLowerCase(), [
      {
        category: 'sanctions',
        name,
        description: `${name}: listed for the tests`,
        url: 'https://home.treasury.gov/policy-issues/financial-sanctions',
      },
    ]);
  }

  /** Screenings of `address`. */
  callsFor(address: string): ScreeningRequest[] {
    return this.requests.filter((r) => r.path.toLowerCase() === `/api/v1/address/${address.toLowerCase()}`);
  }

  protected authorized(h: Record<string, string | undefined>): boolean {
    return h['x-api-key'] === this.apiKey;
  }

  protected route(r: ScreeningRequest): [number, unknown] {
    const m = /^\/api\/v1\/address\/([^/]+)$/.exec(r.path);
    if (r.method !== 'GET' || !m) return [404, { message: 'Not found' }];
    const address = decodeURIComponent(m[1]!).toLowerCase();
    return [200, { identifications: this.sanctioned.get(address) ?? [] }];
  }
}

export interface TrmIndicator {
  category: string;
  level: number;
  label?: 'Unknown' | 'Low' | 'Medium' | 'High' | 'Severe';
  riskType?: 'OWNERSHIP' | 'COUNTERPARTY' | 'INDIRECT';
}

const labelOf = (level: number) =>
  level >= 15 ? 'Severe' : level >= 10 ? 'High' : level >= 6 ? 'Medium' : level >= 1 ? 'Low' : 'Unknown';

export class FakeTrm extends FakeApi {
  /** Risk indicators per address (lower case); an address not set has none. */
  readonly indicators = new Map<string, TrmIndicator[]>();
  /** Entities per address (lower case). */
  readonly entities = new Map<string, { entity: string; category: string; level: number }[]>();
  constructor(readonly apiKey = 'trm-test-api-key') {
    super();
  }

  risk(address: string, ...indicators: TrmIndicator[]): void {
    this.indicators.set(address.toLowerCase(), indicators);
  }

  /** Screenings that asked about `address`. */
  callsFor(address: string): ScreeningRequest[] {
    return this.requests.filter(
      (r) =>
        Array.isArray(r.body) &&
        (r.body as { address?: string }[]).some((x) => x.address?.toLowerCase() === address.toLowerCase()),
    );
  }

  protected authorized(h: Record<string, string | undefined>): boolean {
    const basic = Buffer.from(`${this.apiKey}:${this.apiKey}`).toString('base64');
    return h.authorization === `Basic ${basic}`;
  }

  protected route(r: ScreeningRequest): [number, unknown] {
    if (r.method !== 'POST' || r.path !== '/public/v2/screening/addresses') return [404, { message: 'Not found' }];
    if (!Array.isArray(r.body) || r.body.length === 0) return [400, { message: 'body must be a non-empty array' }];
    const asked = r.body as { address?: unknown; chain?: unknown; accountExternalId?: unknown }[];
    if (asked.some((a) => typeof a.address !== 'string' || typeof a.chain !== 'string')) {
      return [422, { message: 'address and chain are required' }];
    }
    return [200, asked.map((a) => this.screening(a.address as string, a.chain as string))];
  }

  private screening(address: string, chain: string) {
    const key = address.toLowerCase();
    return {
      accountExternalId: null,
      address,
      addressIncomingVolumeUsd: '0',
      addressOutgoingVolumeUsd: '0',
      addressRiskIndicators: (this.indicators.get(key) ?? []).map((i, n) => ({
        category: i.category,
        categoryId: String(n + 1),
        categoryRiskScoreLevel: i.level,
        categoryRiskScoreLevelLabel: i.label ?? labelOf(i.level),
        incomingVolumeUsd: '1000.00',
        outgoingVolumeUsd: '0.00',
        riskType: i.riskType ?? 'COUNTERPARTY',
        totalVolumeUsd: '1000.00',
      })),
      addressSubmitted: address,
      addressTotalVolumeUsd: '0',
      chain,
      entities: (this.entities.get(key) ?? []).map((e, n) => ({
        category: e.category,
        categoryId: String(100 + n),
        entity: e.entity,
        riskScoreLevel: e.level,
        riskScoreLevelLabel: labelOf(e.level),
        trmAppUrl: `https://app.trmlabs.com/entities/${n}`,
        trmUrn: `/entity/${n}`,
      })),
      externalId: null,
      trmAppUrl: `https://app.trmlabs.com/address/${address}/${chain}`,
    };
  }
}
