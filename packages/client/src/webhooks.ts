import { Webhook, WebhookVerificationError as StandardWebhookError } from 'standardwebhooks';
import type { paths } from './schema.js';

type EscrowView = paths['/api/escrow/{id}']['get']['responses'][200]['content']['application/json'];

/**
 * The body of an outgoing webhook: a committed event's envelope, as `GET /api/escrow/{id}?include=events` lists it
 * (`eventId` is the `webhook-id` header: deduplicate by it, delivery is at least once).
 */
export type EscrowEvent = NonNullable<EscrowView['events']>[number];

/** Why a webhook was not accepted. */
export type WebhookVerificationReason =
  'MISSING_HEADERS' | 'INVALID_TIMESTAMP' | 'STALE_TIMESTAMP' | 'INVALID_SIGNATURE' | 'INVALID_SECRET';

/** A webhook that does not verify: answer it 400 (or any non-2xx) and do not act on it. */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
  constructor(
    readonly reason: WebhookVerificationReason,
    message: string,
  ) {
    super(message);
  }
}

/** Request headers as a Fetch `Headers`, or a plain record such as Node's `req.headers`. */
export type WebhookHeaders = Headers | Record<string, string | readonly string[] | undefined>;

const SIGNED_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

function signedHeaders(headers: WebhookHeaders): Record<string, string> {
  const get = (name: string): string | undefined => {
    // duck-typed: a Headers of another fetch implementation (undici's own, node-fetch) is one too
    if (typeof headers.get === 'function') return (headers as Headers).get(name) ?? undefined;
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
    const value =
      key === undefined ? undefined : (headers as Record<string, string | readonly string[] | undefined>)[key];
    return typeof value === 'string' ? value : value?.[0];
  };
  const out: Record<string, string> = {};
  for (const name of SIGNED_HEADERS) {
    const value = get(name);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

const REASONS: [RegExp, WebhookVerificationReason][] = [
  [/missing required headers/i, 'MISSING_HEADERS'],
  [/invalid signature headers/i, 'INVALID_TIMESTAMP'],
  [/timestamp too (old|new)/i, 'STALE_TIMESTAMP'],
];

/**
 * Verifies an outgoing webhook of the service (Standard Webhooks: `webhook-signature` is `v1,` + base64
 * HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}`, one per secret signing during a rotation) and returns its
 * event. `body` must be the raw bytes as received, not re-serialised JSON; `secret` is the endpoint's `whsec_…`. A
 * timestamp more than 5 minutes from this machine's clock is refused (replays).
 */
export function verifyWebhook(headers: WebhookHeaders, body: string | Uint8Array, secret: string): EscrowEvent {
  let webhook: Webhook;
  try {
    webhook = new Webhook(secret);
  } catch (err) {
    throw new WebhookVerificationError('INVALID_SECRET', `the secret is no whsec_… secret: ${(err as Error).message}`);
  }
  try {
    return webhook.verify(body, signedHeaders(headers)) as EscrowEvent;
  } catch (err) {
    if (!(err instanceof StandardWebhookError)) throw err;
    const reason = REASONS.find(([re]) => re.test(err.message))?.[1] ?? 'INVALID_SIGNATURE';
    throw new WebhookVerificationError(reason, err.message);
  }
}
