import { RailError } from '../../../app/ports/index.js';
import { RailHttpClient, RailHttpError, type RailRequest } from '../shared/httpClient.js';
import type { PaystackSettings } from './config.js';

export const PROVIDER = 'paystack';

/** Paystack's answer envelope: `{status, message, data}` (status false on errors). */
interface Envelope<T> {
  status: boolean;
  message?: string;
  data: T;
}

export interface PaystackTransaction {
  id: number | string;
  status: string;
  reference: string;
  amount: number;
  currency: string;
  gateway_response?: string | null;
}

export interface PaystackTransfer {
  id: number | string;
  status: string;
  reference: string;
  transfer_code: string;
  amount: number;
  currency?: string;
  failures?: unknown;
  gateway_response?: string | null;
}

export interface PaystackRefund {
  id: number | string;
  status: string;
  amount: number;
  currency?: string;
  merchant_note?: string | null;
  transaction?: number | string | { id?: number | string; reference?: string };
}

export interface PaystackRecipient {
  recipient_code: string;
  active?: boolean;
  is_deleted?: boolean;
  isDeleted?: boolean;
  type?: string;
  details?: { account_number?: string | null; bank_name?: string | null };
}

/** The client of Paystack's REST API: Bearer secret key, JSON, `data` out of the `{status, message, data}` envelope. */
export class PaystackApi {
  private readonly http: RailHttpClient;

  constructor(settings: PaystackSettings) {
    this.http = new RailHttpClient({
      provider: PROVIDER,
      baseUrl: settings.apiUrl,
      headers: { authorization: `Bearer ${settings.secretKey}` },
      // Paystack ignores it: the reference in the body is what it deduplicates on. Sent with creates that carry a
      // reference so they are retried after a timeout or a 5xx: a retry of one that landed is refused as a duplicate,
      // and the rail looks the object up by reference.
      idempotencyHeader: 'x-escrow-reference',
      requestIdHeaders: ['x-request-id', 'request-id', 'cf-ray'],
      errorCode: (body) => {
        const b = body as { code?: unknown; type?: unknown } | null;
        return typeof b?.code === 'string' ? b.code : typeof b?.type === 'string' ? b.type : null;
      },
      timeoutMs: settings.timeoutMs,
      ...(settings.retries !== undefined ? { retries: settings.retries } : {}),
      ...(settings.baseDelayMs !== undefined ? { baseDelayMs: settings.baseDelayMs } : {}),
      ...(settings.fetch ? { fetch: settings.fetch } : {}),
    });
  }

  /** `data` of a `{status: true}` answer; a 2xx saying status false is a refusal like a 4xx. */
  async call<T>(req: RailRequest): Promise<T> {
    const out = await this.http.request<Envelope<T> | null>(req);
    if (!out || out.status !== true) {
      const said = typeof out?.message === 'string' ? out.message.slice(0, 200) : 'status false';
      throw new RailHttpError(`paystack: ${req.method} ${req.path} answered status false: ${said}`, 200, false, out, {
        provider: PROVIDER,
      });
    }
    return out.data;
  }

  /** Like call, with null for what Paystack says does not exist. */
  async orNull<T>(req: RailRequest): Promise<T | null> {
    try {
      return await this.call<T>(req);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  get = <T>(path: string, query?: Record<string, string>): Promise<T | null> =>
    this.orNull<T>({ method: 'GET', path, ...(query ? { query } : {}) });
}

/** Paystack answers 404 for most unknown objects, and 400 "… not found" for some (transaction verify). */
export const isNotFound = (e: unknown): boolean =>
  e instanceof RailHttpError &&
  (e.status === 404 || (e.status === 400 && /not found/i.test(String((e.body as { message?: unknown })?.message))));

/** A 4xx saying the request itself is wrong (a duplicate reference among them), as opposed to a refused key. */
export const isRefusal = (e: RailHttpError): boolean => [400, 404, 409, 422].includes(e.status);

/** An escrow's Paystack transaction reference: deterministic (a repeat finds the same) and in Paystack's charset. */
export const paystackReference = (escrowId: string): string => `esc-${escrowId.replace(/-/g, '').toLowerCase()}`;

const refusal = () => ({ provider: PROVIDER, status: 0, retryable: false });

/** Kobo (subunits) as the integer Paystack takes: exact, or a RailError. */
export function toSubunits(amount: bigint): number {
  if (amount <= 0n) throw new RailError(`paystack: amount ${amount} must be positive`, refusal());
  if (amount > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RailError(`paystack: amount ${amount} is beyond what Paystack's integer amounts can carry`, refusal());
  }
  return Number(amount);
}

/** Subunits Paystack answered (an integer, or digits) as a digit string. */
export function subunitsText(v: unknown): string {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return v;
  throw new RailError(`paystack: answered an amount that is no integer (${String(v)})`, {
    provider: PROVIDER,
    status: 200,
    retryable: false,
  });
}
