import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { testServer, type TestServer } from './httpHarness.js';

/**
 * The OpenAPI document (SPEC §5): valid OpenAPI 3, browsable at /docs, an example for every request body and every
 * response, examples that match their schemas and that the server accepts, and every SPEC §5 route the server has.
 * PGlite only: the document does not depend on the database.
 */

interface Schema {
  type?: string;
  nullable?: boolean;
  enum?: unknown[];
  anyOf?: Schema[];
  allOf?: Schema[];
  oneOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  format?: string;
  example?: unknown;
  examples?: unknown;
}
interface MediaType {
  schema?: Schema;
  example?: unknown;
  examples?: Record<string, { value?: unknown }>;
}
interface Operation {
  requestBody?: { content?: Record<string, MediaType> };
  responses?: Record<string, { description?: string; content?: Record<string, MediaType> }>;
}
interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function operations(doc: OpenApiDoc): { method: string; path: string; op: Operation; name: string }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ method, path, op, name: `${method.toUpperCase()} ${path}` })),
  );
}

/** The examples a media type carries: `example`/`examples` on the media type or on its (top-level) schema. */
function examplesOf(mt: MediaType): unknown[] {
  const out: unknown[] = [];
  if ('example' in mt) out.push(mt.example);
  if (mt.examples) out.push(...Object.values(mt.examples).map((e) => e.value));
  if (mt.schema && 'example' in mt.schema) out.push(mt.schema.example);
  if (mt.schema && Array.isArray(mt.schema.examples)) out.push(...(mt.schema.examples as unknown[]));
  return out;
}

/** Checks `value` against the OpenAPI 3.0 schema subset @fastify/swagger emits; returns what does not match. */
function mismatches(schema: Schema, value: unknown, at: string): string[] {
  if (value === null && schema.nullable) return [];
  const out: string[] = [];
  for (const s of schema.allOf ?? []) out.push(...mismatches(s, value, at));
  if (schema.anyOf && !schema.anyOf.some((s) => mismatches(s, value, at).length === 0)) {
    out.push(`${at}: ${JSON.stringify(value)} matches no anyOf branch`);
  }
  if (schema.oneOf && schema.oneOf.filter((s) => mismatches(s, value, at).length === 0).length !== 1) {
    out.push(`${at}: ${JSON.stringify(value)} does not match exactly one oneOf branch`);
  }
  if (schema.enum && !schema.enum.includes(value)) out.push(`${at}: ${JSON.stringify(value)} is not in the enum`);
  const bad = (what: string) => out.push(`${at}: ${JSON.stringify(value)} ${what}`);
  switch (schema.type) {
    case undefined:
      break;
    case 'string':
      if (typeof value !== 'string') {
        bad('is not a string');
        break;
      }
      if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value)) bad(`does not match ${schema.pattern}`);
      if (schema.minLength !== undefined && value.length < schema.minLength) bad('is too short');
      if (schema.maxLength !== undefined && value.length > schema.maxLength) bad('is too long');
      if (schema.format === 'uuid' && !UUID_RE.test(value)) bad('is not a uuid');
      if (schema.format === 'date-time' && (!/^\d{4}-\d\d-\d\dT/.test(value) || Number.isNaN(Date.parse(value)))) {
        bad('is not a date-time');
      }
      break;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || (schema.type === 'integer' && !Number.isInteger(value))) {
        bad(`is not an ${schema.type}`);
        break;
      }
      if (schema.minimum !== undefined && value < schema.minimum) bad(`is below ${schema.minimum}`);
      if (schema.maximum !== undefined && value > schema.maximum) bad(`is above ${schema.maximum}`);
      break;
    case 'boolean':
      if (typeof value !== 'boolean') bad('is not a boolean');
      break;
    case 'array':
      if (!Array.isArray(value)) {
        bad('is not an array');
        break;
      }
      if (schema.minItems !== undefined && value.length < schema.minItems) bad('has too few items');
      if (schema.maxItems !== undefined && value.length > schema.maxItems) bad('has too many items');
      if (schema.items) value.forEach((v, i) => out.push(...mismatches(schema.items!, v, `${at}[${i}]`)));
      break;
    case 'object':
      if (!isPlainObject(value)) {
        bad('is not an object');
        break;
      }
      for (const k of schema.required ?? []) if (!(k in value)) out.push(`${at}: required ${k} is missing`);
      for (const [k, v] of Object.entries(value)) {
        const prop = schema.properties?.[k];
        if (prop) out.push(...mismatches(prop, v, `${at}.${k}`));
        else if (schema.additionalProperties === false) out.push(`${at}: ${k} is not allowed`);
      }
      break;
    default:
      bad(`has an unknown schema type ${schema.type}`);
  }
  return out;
}

/** Every `example` inside a schema (property level), with where it sits. */
function* nestedExamples(schema: Schema, at: string): Generator<[Schema, unknown, string]> {
  if ('example' in schema) yield [schema, schema.example, at];
  for (const [k, p] of Object.entries(schema.properties ?? {})) yield* nestedExamples(p, `${at}.${k}`);
  if (schema.items) yield* nestedExamples(schema.items, `${at}[]`);
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    for (const [i, s] of (schema[key] ?? []).entries()) yield* nestedExamples(s, `${at}/${key}/${i}`);
  }
}

/** A concrete path for a documented template: fresh ids, so no escrow is touched. */
function concrete(template: string): string {
  const values: Record<string, string> = {
    provider: 'sandbox',
    reference: `sbx_${randomBytes(16).toString('hex')}`,
    outcome: 'fail',
    rail: 'SANDBOX',
  };
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => values[name] ?? randomUUID());
}

const normalise = (template: string): string => template.replace(/\{[^}]+\}/g, '{}');

describe('OpenAPI document and docs on pglite', () => {
  let s: TestServer;
  let doc: OpenApiDoc;
  let admin: string;

  before(async () => {
    s = await testServer('pglite');
    admin = await s.token('ops-admin', 'admin');
    const res = await s.call<OpenApiDoc>('GET', '/openapi.json');
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    doc = res.body;
  });
  after(async () => {
    await s.close();
  });

  it('GET /openapi.json is a valid OpenAPI 3 document', async () => {
    assert.match(doc.openapi, /^3\./);
    assert.ok(doc.info.title && doc.info.version, 'info.title and info.version');
    const validator = new Validator();
    const result = await validator.validate(doc as unknown as Record<string, unknown>);
    const errors = Array.isArray(result.errors)
      ? result.errors.map((e) => `${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('\n')
      : String(result.errors);
    assert.equal(result.valid, true, `OpenAPI validation errors:\n${errors}`);
  });

  it('GET /docs serves the browsable docs (HTML) over the same document', async () => {
    const page = await s.call('GET', '/docs');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.text, /<html/i);
    assert.match(page.text, /swagger-ui/i);
    const served = await s.call<OpenApiDoc>('GET', '/docs/json');
    assert.equal(served.status, 200);
    assert.deepEqual(Object.keys(served.body.paths).sort(), Object.keys(doc.paths).sort());
  });

  it('every operation that takes a request body has an example of it', () => {
    const missing: string[] = [];
    let bodies = 0;
    for (const { name, op } of operations(doc)) {
      for (const [type, mt] of Object.entries(op.requestBody?.content ?? {})) {
        bodies++;
        if (examplesOf(mt).length === 0) missing.push(`${name} request ${type}`);
      }
    }
    assert.ok(bodies > 0, 'some operation documents a request body');
    assert.deepEqual(missing, [], `request bodies without an example:\n${missing.join('\n')}`);
  });

  it('every response of every operation has a schema with an example', () => {
    const missing: string[] = [];
    for (const { name, op } of operations(doc)) {
      assert.ok(op.responses && Object.keys(op.responses).length > 0, `${name} documents its responses`);
      for (const [status, response] of Object.entries(op.responses)) {
        const content = Object.entries(response.content ?? {});
        if (content.length === 0) missing.push(`${name} ${status}: no content`);
        for (const [type, mt] of content) {
          if (!mt.schema) missing.push(`${name} ${status} ${type}: no schema`);
          else if (examplesOf(mt).length === 0) missing.push(`${name} ${status} ${type}: no example`);
        }
      }
    }
    assert.deepEqual(missing, [], `responses without a schema or an example:\n${missing.join('\n')}`);
  });

  it('every example matches its schema', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const { name, op } of operations(doc)) {
      const media: [string, MediaType][] = [
        ...Object.entries(op.requestBody?.content ?? {}).map(([t, mt]): [string, MediaType] => [`request ${t}`, mt]),
        ...Object.entries(op.responses ?? {}).flatMap(([status, r]) =>
          Object.entries(r.content ?? {}).map(([t, mt]): [string, MediaType] => [`${status} ${t}`, mt]),
        ),
      ];
      for (const [where, mt] of media) {
        if (!mt.schema) continue;
        for (const example of examplesOf(mt)) {
          checked++;
          problems.push(...mismatches(mt.schema, example, `${name} ${where}`));
        }
        for (const [schema, example, at] of nestedExamples(mt.schema, `${name} ${where} schema`)) {
          checked++;
          problems.push(...mismatches(schema, example, at));
        }
      }
    }
    assert.ok(checked > 20, `examples checked: ${checked}`);
    assert.deepEqual(problems, []);
  });

  it('the server accepts every documented request body example', async () => {
    const refused: string[] = [];
    for (const { method, path, op, name } of operations(doc)) {
      for (const [type, mt] of Object.entries(op.requestBody?.content ?? {})) {
        for (const example of examplesOf(mt)) {
          const res = await s.call(method.toUpperCase(), concrete(path), {
            token: admin,
            body: JSON.stringify(example),
            headers: { 'content-type': type },
          });
          // Fresh ids: 404 (or a 2xx for create) is fine; a 400/415/422 says the example is not what the server takes.
          if ([400, 413, 415, 422].includes(res.status)) refused.push(`${name} ${type}: ${res.status} ${res.text}`);
        }
      }
    }
    assert.deepEqual(refused, []);
  });

  it('error responses are documented as application/problem+json', () => {
    const wrong: string[] = [];
    for (const { name, op } of operations(doc)) {
      // a health endpoint's 503 is its health document (SPEC §8), not a problem
      if (name.startsWith('GET /health')) continue;
      const statuses = Object.entries(op.responses ?? {})
        .filter(
          ([status, r]) => Number(status) >= 400 && !Object.keys(r.content ?? {}).includes('application/problem+json'),
        )
        .map(([status, r]) => `${status} (${Object.keys(r.content ?? {}).join(', ') || 'no content'})`);
      if (statuses.length > 0) wrong.push(`${name}: ${statuses.join(', ')}`);
    }
    assert.deepEqual(wrong, [], `error responses not documented as application/problem+json:\n${wrong.join('\n')}`);
  });

  /** Does the server have this route? Anything but the not-found handler's NOT_FOUND means yes. */
  async function exists(method: string, path: string): Promise<boolean> {
    const res = await s.call(method, path, { token: admin, ...(method === 'GET' ? {} : { body: '{}' }) });
    const code = isPlainObject(res.body) ? res.body.code : undefined;
    return !(res.status === 404 && code === 'NOT_FOUND');
  }

  function documented(method: string, template: string): boolean {
    const want = normalise(template);
    return Object.entries(doc.paths).some(([path, item]) => normalise(path) === want && method.toLowerCase() in item);
  }

  /** SPEC §5's table; admin routes give no method, so both are probed. */
  const SPEC_API_ROUTES: [methods: string[], template: string][] = [
    [['POST'], '/api/escrow'],
    [['GET'], '/api/escrow'],
    [['GET'], '/api/escrow/{id}'],
    [['POST'], '/api/escrow/{id}/cancel'],
    [['POST'], '/api/escrow/{id}/confirm-payment'],
    [['POST'], '/api/escrow/{id}/mark-delivered'],
    [['POST'], '/api/escrow/{id}/confirm-delivery'],
    [['POST'], '/api/escrow/{id}/release'],
    [['POST'], '/api/escrow/{id}/refund'],
    [['POST'], '/api/escrow/{id}/dispute'],
    [['POST'], '/api/escrow/{id}/dispute/{disputeId}/review'],
    [['POST'], '/api/escrow/{id}/dispute/{disputeId}/resolve'],
    [['POST'], '/api/escrow/{id}/milestones'],
    [['POST'], '/api/escrow/{id}/milestones/{milestoneId}/deliver'],
    [['POST'], '/api/escrow/{id}/milestones/{milestoneId}/release'],
    [['PUT'], '/api/escrow/{id}/vault'],
    [['POST'], '/api/escrow/{id}/vault/reveal'],
    [['GET'], '/api/commands/{commandId}'],
    [['POST'], '/api/webhooks/{provider}'],
    [['POST'], '/api/sandbox/payments/{reference}/{outcome}'],
    ...['process-timeouts', 'webhooks/reprocess', 'queues/stats', 'outbox/replay', 'escrows/stuck', 'blacklist'].map(
      (r): [string[], string] => [['GET', 'POST'], `/api/admin/${r}`],
    ),
  ];
  const SPEC_OPS_ROUTES: [string[], string][] = [
    [['GET'], '/health'],
    [['GET'], '/health/live'],
    [['GET'], '/health/ready'],
    [['GET'], '/metrics'],
  ];

  async function undocumented(routes: [string[], string][]): Promise<{ present: number; missing: string[] }> {
    let present = 0;
    const missing: string[] = [];
    for (const [methods, template] of routes) {
      for (const method of methods) {
        if (!(await exists(method, concrete(template)))) continue;
        present++;
        if (!documented(method, template)) missing.push(`${method} ${template}`);
      }
    }
    return { present, missing };
  }

  it('every SPEC §5 /api route the server has is in the document', async () => {
    const { present, missing } = await undocumented(SPEC_API_ROUTES);
    assert.ok(present >= 10, `the probe finds the server's routes (found ${present})`);
    assert.deepEqual(missing, [], `routes of SPEC §5 served but not documented:\n${missing.join('\n')}`);
  });

  it('the SPEC §5 health and metrics endpoints the server has are in the document', async () => {
    const { present, missing } = await undocumented(SPEC_OPS_ROUTES);
    assert.ok(present > 0, 'the server has health endpoints');
    assert.deepEqual(missing, [], `routes of SPEC §5 served but not documented:\n${missing.join('\n')}`);
  });

  it('every documented operation exists on the server', async () => {
    const absent: string[] = [];
    for (const { method, path, name } of operations(doc)) {
      if (!(await exists(method.toUpperCase(), concrete(path)))) absent.push(name);
    }
    assert.deepEqual(absent, []);
  });
});
