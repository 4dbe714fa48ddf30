import { createHmac, timingSafeEqual } from 'node:crypto';
import { WebhookSignatureError } from '../../../app/ports/index.js';

/**
 * Stripe's webhook signature scheme, which the sandbox and other providers share: the header is
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, checked in constant time within a tolerance.
 */
export function signTimestamped(secret: string, rawBody: string, timestamp: number): string {
  return `t=${timestamp},v1=${hmacHex(secret, `${timestamp}.${rawBody}`)}`;
}

/** Throws WebhookSignatureError unless `header` signs `rawBody` with `secret` within `toleranceSeconds` of now. */
export function verifyTimestamped(input: {
  header: string | undefined;
  headerName: string;
  rawBody: string;
  secret: string;
  nowSeconds: number;
  toleranceSeconds: number;
}): void {
  if (!input.header) throw new WebhookSignatureError(`missing ${input.headerName} header`);
  const parts = Object.fromEntries(input.header.split(',').map((kv) => kv.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !parts.v1) throw new WebhookSignatureError('malformed signature header');
  if (Math.abs(input.nowSeconds - t) > input.toleranceSeconds) {
    throw new WebhookSignatureError('timestamp outside tolerance');
  }
  if (!hexEqual(parts.v1, hmac(input.secret, `${t}.${input.rawBody}`))) {
    throw new WebhookSignatureError('signature does not match');
  }
}

/** HMAC-SHA256 of `data` as hex (providers that sign the raw body alone, e.g. Paystack's SHA-512 variant aside). */
export const hmacHex = (secret: string, data: string, algorithm = 'sha256'): string =>
  createHmac(algorithm, secret).update(data).digest('hex');

const hmac = (secret: string, data: string): Buffer => createHmac('sha256', secret).update(data).digest();

/** Constant-time comparison of a hex signature with the expected digest. */
export function hexEqual(givenHex: string, expected: Buffer): boolean {
  const given = Buffer.from(givenHex, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
