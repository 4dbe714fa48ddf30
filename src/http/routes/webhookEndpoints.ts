import type { FastifyRequest } from 'fastify';
import type { WebhookEndpointApi } from '../../app/webhookEndpointTypes.js';
import type { Api, RouteDeps } from '../types.js';
import * as S from '../schemas.js';
import {
  DeliveriesQuery,
  DeliveryPageView,
  DeliveryParams,
  RecoverBody,
  ResendBody,
  ResendResultView,
} from '../schemas/webhookDeliveries.js';
import {
  EndpointChangeView,
  EndpointCreateBody,
  EndpointDeleteBody,
  EndpointListView,
  EndpointOneView,
  EndpointParams,
  EndpointSecretChangeView,
  EndpointUpdateBody,
  RotateSecretBody,
} from '../schemas/webhookEndpoints.js';

/** What these routes need of HttpDeps. */
export interface WebhookEndpointRouteDeps {
  webhookEndpoints?: WebhookEndpointApi;
}

type WebhookEndpointDeps = Omit<RouteDeps, 'deps'> & { deps: WebhookEndpointRouteDeps };

const tags = ['webhooks'];

const actorOf = (request: FastifyRequest) => ({ id: request.principal!.id, role: request.principal!.role });

/**
 * The marketplace's outgoing webhook endpoints (issue 14, docs/webhooks.md), for `service` and `admin` callers:
 * registered with a signing secret shown once, changed, rotated, deleted; their delivery log, resend and recover.
 * Every change is audited with the caller and the reason, and has a dry run. Changes are POST actions, as everywhere
 * in this API (no DELETE bodies, which some clients and proxies drop).
 */
export function webhookEndpointRoutes(app: Api, deps: WebhookEndpointDeps): void {
  const endpoints = deps.deps.webhookEndpoints;
  if (!endpoints) return;
  const callers = deps.authenticate(['service', 'admin']);
  endpointRoutes(app, endpoints, callers);
  endpointChangeRoutes(app, endpoints, callers);
  deliveryRoutes(app, endpoints, callers);
}

type Hook = ReturnType<RouteDeps['authenticate']>;

function endpointRoutes(app: Api, endpoints: WebhookEndpointApi, onRequest: Hook): void {
  app.get(
    '/webhook-endpoints',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Webhook endpoints, oldest first (escrow webhook-endpoints list)',
        description: "Each with its state and its secrets' ids and times; never a secret's value.",
        response: { 200: EndpointListView, ...S.problems(401, 403, 429) },
      },
    },
    () => endpoints.list(),
  );

  app.post(
    '/webhook-endpoints',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Register a webhook endpoint; the answer carries its signing secret, once',
        description:
          'The URL must be https on a public address (422 WEBHOOK_URL_REFUSED names what is wrong with it). ' +
          '`eventTypes` null or absent: every type. 201 with the endpoint and `secret` (whsec_…), which is never ' +
          'shown again: keep it where the receiver reads it. A dry run answers 200 with the endpoint as it would be ' +
          'and no secret, storing nothing. Audited with the caller and `reason`.',
        body: EndpointCreateBody,
        response: {
          200: EndpointSecretChangeView,
          201: EndpointSecretChangeView,
          ...S.problems(400, 401, 403, 422, 429),
        },
      },
    },
    async (request, reply) => {
      const change = await endpoints.create(actorOf(request), request.body);
      return reply.code(change.dryRun ? 200 : 201).send(change);
    },
  );

  app.get(
    '/webhook-endpoints/:endpointId',
    {
      onRequest,
      schema: {
        tags,
        summary: 'One webhook endpoint (escrow webhook-endpoints show)',
        description: 'An unknown id is 404 WEBHOOK_ENDPOINT_NOT_FOUND.',
        params: EndpointParams,
        response: { 200: EndpointOneView, ...S.problems(400, 401, 403, 404, 429) },
      },
    },
    (request) => endpoints.get(request.params.endpointId),
  );
}

/** update, delete, rotate-secret. */
function endpointChangeRoutes(app: Api, endpoints: WebhookEndpointApi, onRequest: Hook): void {
  app.post(
    '/webhook-endpoints/:endpointId/update',
    {
      onRequest,
      schema: {
        tags,
        summary:
          'Change an endpoint: URL, description, event types, enabled (audited; {"dryRun": true} changes nothing)',
        description:
          'Only the fields given change. `enabled: false` stops new messages (pending ones wait) and records who ' +
          'disabled it and why; `enabled: true` clears the failing streak and queues the events committed while it ' +
          "was disabled, which go with the pending ones in each escrow's order (recover resends what failed). A " +
          'new URL is checked as on create (422 WEBHOOK_URL_REFUSED).',
        params: EndpointParams,
        body: EndpointUpdateBody,
        response: { 200: EndpointChangeView, ...S.problems(400, 401, 403, 404, 422, 429) },
      },
    },
    (request) => endpoints.update(actorOf(request), request.params.endpointId, request.body),
  );

  app.post(
    '/webhook-endpoints/:endpointId/delete',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Delete an endpoint with its messages and attempt log (audited; {"dryRun": true} changes nothing)',
        description: 'The audit log keeps who deleted it, its URL and why. Answers the endpoint as it was.',
        params: EndpointParams,
        body: EndpointDeleteBody,
        response: { 200: EndpointChangeView, ...S.problems(400, 401, 403, 404, 429) },
      },
    },
    (request) => endpoints.remove(actorOf(request), request.params.endpointId, request.body),
  );

  app.post(
    '/webhook-endpoints/:endpointId/rotate-secret',
    {
      onRequest,
      schema: {
        tags,
        summary: 'A new signing secret, shown once; the previous one keeps signing for the overlap (audited)',
        description:
          'During the overlap (`overlapHours`, default 24, 0 = stop at once, at most 168) each message carries both ' +
          'signatures in webhook-signature: switch the receiver to the new secret within it. A dry run shows until ' +
          'when the current secret would sign, and makes no secret.',
        params: EndpointParams,
        body: RotateSecretBody,
        response: { 200: EndpointSecretChangeView, ...S.problems(400, 401, 403, 404, 429) },
      },
    },
    (request) => endpoints.rotateSecret(actorOf(request), request.params.endpointId, request.body),
  );
}

function deliveryRoutes(app: Api, endpoints: WebhookEndpointApi, onRequest: Hook): void {
  app.get(
    '/webhook-endpoints/:endpointId/deliveries',
    {
      onRequest,
      schema: {
        tags,
        summary:
          "An endpoint's messages, newest first, each with its attempt log (escrow webhook-endpoints deliveries)",
        description:
          'Filter by `eventId` (the webhook-id header) or `status`; `limit` 1-200 (default 50); `cursor`: the ' +
          "previous page's nextCursor. Each attempt has its HTTP status, latency, response excerpt and error.",
        params: EndpointParams,
        querystring: DeliveriesQuery,
        response: { 200: DeliveryPageView, ...S.problems(400, 401, 403, 404, 429) },
      },
    },
    (request) => {
      const { eventId, status, limit, cursor } = request.query;
      return endpoints.deliveries({
        endpointId: request.params.endpointId,
        ...(eventId ? { eventId } : {}),
        ...(status ? { status } : {}),
        ...(limit ? { limit: Number(limit) } : {}),
        cursor: cursor ?? null,
      });
    },
  );

  app.post(
    '/webhook-endpoints/:endpointId/deliveries/:eventId/resend',
    {
      onRequest,
      schema: {
        tags,
        summary: "Send one event's message again, as a fresh delivery with the same webhook-id (audited)",
        description:
          'A delivered or failed message starts the retry schedule over; the attempt log keeps the earlier ' +
          'attempts. No message for that event is 404 WEBHOOK_MESSAGE_NOT_FOUND (recover sends events the endpoint ' +
          'never got); one still pending is 409 WEBHOOK_MESSAGE_PENDING.',
        params: DeliveryParams,
        body: ResendBody,
        response: { 200: ResendResultView, ...S.problems(400, 401, 403, 404, 409, 429) },
      },
    },
    (request) => endpoints.resend(actorOf(request), request.params.endpointId, request.params.eventId, request.body),
  );

  app.post(
    '/webhook-endpoints/:endpointId/recover',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Send again what an endpoint missed in a time window (audited; {"dryRun": true} only counts)',
        description:
          'Every event that occurred from `since` to `until` (default now; at most 31 days) of the types the ' +
          'endpoint receives and that failed or never reached it is queued, in each escrow’s order; with ' +
          '`includeDelivered` the delivered ones too. Answers how many, and the first 100.',
        params: EndpointParams,
        body: RecoverBody,
        response: { 200: ResendResultView, ...S.problems(400, 401, 403, 404, 429) },
      },
    },
    (request) => endpoints.recover(actorOf(request), request.params.endpointId, request.body),
  );
}
