/**
 * @escrow-services/client: a typed client of the Escrow Services API (types generated from its OpenAPI document),
 * with Idempotency-Keys on every POST, retries the service asks for, problem+json as EscrowApiError, and
 * verification of the service's outgoing webhooks.
 */
export { createEscrowClient, type EscrowClient, type EscrowClientOptions } from './client.js';
export {
  applied,
  EscrowApiError,
  EscrowPendingError,
  isProblem,
  unwrap,
  type Accepted,
  type FetchResult,
  type FieldError,
  type Problem,
  type SuccessData,
} from './errors.js';
export { backoffMs, retryAfterMs, retryingFetch, type RetryEvent, type RetryOptions } from './retry.js';
export {
  verifyWebhook,
  WebhookVerificationError,
  type EscrowEvent,
  type WebhookHeaders,
  type WebhookVerificationReason,
} from './webhooks.js';
export type { components, operations, paths } from './schema.js';
