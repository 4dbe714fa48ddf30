import Stripe from 'stripe';
import { RailError } from '../../../app/ports/index.js';

const { StripeError, StripeInvalidRequestError, StripeCardError, StripePermissionError, StripeIdempotencyError } =
  Stripe.errors;

type StripeErr = InstanceType<typeof StripeError>;

export const isStripeError = (err: unknown): err is StripeErr => err instanceof StripeError;

/** Stripe refused the request for good: the same request will be refused again (4xx other than 401/409/429). */
export function isRefusal(err: unknown): err is StripeErr {
  return (
    err instanceof StripeInvalidRequestError ||
    err instanceof StripeCardError ||
    err instanceof StripePermissionError ||
    err instanceof StripeIdempotencyError
  );
}

/** What an operator needs: the call, Stripe's status, type, code and message, and the request id to quote. */
export function describeStripeError(what: string, err: unknown): string {
  if (!isStripeError(err)) return `stripe: ${what}: ${err instanceof Error ? err.message : String(err)}`;
  const status = err.statusCode ? ` answered ${err.statusCode}` : ' got no answer';
  const code = err.code ? ` ${err.code}` : '';
  const message = err.message ? `: ${err.message.slice(0, 300)}` : '';
  const requestId = err.requestId ? ` (request id ${err.requestId})` : '';
  return `stripe: ${what}${status} ${err.rawType ?? err.type}${code}${message}${requestId}`;
}

/** A Stripe failure as the port's RailError: retryable unless Stripe refused the request for good. */
export function toRailError(what: string, err: unknown): RailError {
  if (err instanceof RailError) return err;
  const e = isStripeError(err) ? err : null;
  return new RailError(describeStripeError(what, err), {
    provider: 'stripe',
    status: e?.statusCode ?? 0,
    retryable: !isRefusal(err),
    code: e?.code ?? null,
    requestId: e?.requestId ?? null,
  });
}

/** Minor units as the integer Stripe takes, refusing what a JavaScript number cannot carry exactly. */
export function toStripeAmount(amount: bigint): number {
  if (amount <= 0n || amount > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RailError(`stripe: amount ${amount} is not a positive integer Stripe can take exactly`, {
      provider: 'stripe',
      status: 0,
      retryable: false,
    });
  }
  return Number(amount);
}
