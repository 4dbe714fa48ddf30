/**
 * Every size limit and input pattern the engine enforces, in one place. The decider checks them; the HTTP schemas
 * (and so the OpenAPI document) are built from the same constants, so the edge and the domain cannot drift apart.
 * Patterns are strings because JSON Schema carries them that way; the domain compiles them once.
 */

/** Identifiers callers choose (offer, contract, buyer, seller): 1-128 characters, no spaces. */
export const IDENTIFIER_PATTERN = '^[A-Za-z0-9._:@-]{1,128}$';
export const IDENTIFIER_RULE = 'must be 1-128 of A-Z a-z 0-9 . _ : @ -';

/** Amounts on the wire: a digit string in minor units, no sign, decimals, exponent or leading zeros. */
export const MINOR_UNITS_PATTERN = '^(0|[1-9][0-9]{0,17})$';

/** Largest amount the engine accepts: 10^15 minor units keeps every sum far inside int8. */
export const MAX_MINOR = 10n ** 15n;

/** Longest accepted text per field, in characters after trimming. */
export const TEXT_MAX_LENGTH = {
  /** Why an escrow is cancelled, released or refunded, a dispute resolved or a payment failed. */
  reason: 500,
  /** Why a dispute is opened: a short headline, the story goes in the description. */
  disputeReason: 100,
  deliveryTitle: 200,
  description: 5000,
  transactionId: 200,
  /** What an admin cites when confirming a payment by hand. */
  paymentEvidence: 5000,
  /** One item of delivery or dispute evidence (typically a link). */
  evidenceItem: 2000,
  /** A rail's reason for a failed payout or refund. */
  settlementFailure: 1000,
} as const;

/** Items in one evidence list (a delivery's or a dispute's). */
export const MAX_EVIDENCE_ITEMS = 50;

/** Escrow metadata, measured as UTF-8 JSON, the way it is stored. */
export const METADATA_MAX_BYTES = 16 * 1024;

/** Escrows per page when listing: the default and the most a caller may ask for. */
export const PAGE_SIZE = { default: 20, max: 50 } as const;

/** Deepest nesting of any JSON the engine takes in (a body, a provider's webhook, a command's payload). */
export const JSON_MAX_DEPTH = 32;

/** Deepest nesting inside escrow metadata; the metadata object itself is level 1. */
export const METADATA_MAX_DEPTH = 16;

/** What PostgreSQL cannot store in text or jsonb, so the engine refuses it wherever it comes from. */
export const UNSTORABLE_TEXT_RULE = 'must not contain NUL (\\u0000) or unpaired surrogate characters';

/** A surrogate half without its other half: not Unicode, and refused by jsonb. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether text can be stored as it is: no NUL and no unpaired UTF-16 surrogate. */
export const isStorableText = (s: string): boolean => !s.includes('\0') && !LONE_SURROGATE.test(s);

/** The first thing wrong with a JSON value: the field (a path such as metadata.note or evidence[2]) and the rule. */
export interface JsonProblem {
  field: string;
  message: string;
}

export interface JsonLimits {
  /** Deepest nesting of arrays and objects; the value itself is level 1. */
  maxDepth: number;
  /** Most UTF-8 bytes of the value as JSON (exact for JSON values: what a parsed body, message or file holds). */
  maxBytes?: number;
}

type Pending = { value: unknown; path: string; depth: number; top: string };

/**
 * The first reason a JSON value cannot be taken in, or null: text PostgreSQL cannot store (in a key or a value),
 * nesting deeper than `maxDepth`, more than `maxBytes` as JSON. It walks with a stack of its own, never the call
 * stack, so no input can overflow it, and it stops at the first problem. `root` names the value in the field paths
 * ('' for a body: its fields are then named as they are).
 */
export function jsonProblem(value: unknown, limits: JsonLimits, root = ''): JsonProblem | null {
  const stack: Pending[] = [{ value, path: root, depth: 1, top: root }];
  let bytes = 0;
  const tooBig = () => limits.maxBytes !== undefined && bytes > limits.maxBytes;
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { value: v, path, depth } = item;
    if (typeof v === 'string') {
      if (!isStorableText(v)) return { field: path || 'body', message: UNSTORABLE_TEXT_RULE };
      if (limits.maxBytes !== undefined) bytes += jsonBytes(v);
    } else if (typeof v === 'object' && v !== null) {
      if (depth > limits.maxDepth) {
        return { field: item.top || 'body', message: `must not be nested more than ${limits.maxDepth} levels deep` };
      }
      const bad = pushChildren(stack, item);
      if (bad) return bad;
      if (limits.maxBytes !== undefined) bytes += containerBytes(v);
    } else if (limits.maxBytes !== undefined) {
      bytes += scalarBytes(v);
    }
    if (tooBig()) return { field: root || 'body', message: `must be at most ${bytesRule(limits.maxBytes!)} as JSON` };
  }
  return null;
}

/** Queues an array's items or an object's values (in reverse, so the first problem in reading order is found). */
function pushChildren(stack: Pending[], { value, path, depth, top }: Pending): JsonProblem | null {
  const child = (segment: string) => (path ? `${path}${segment.startsWith('[') ? '' : '.'}${segment}` : segment);
  if (Array.isArray(value)) {
    for (let i = value.length - 1; i >= 0; i--) {
      const p = child(`[${i}]`);
      stack.push({ value: value[i] as unknown, path: p, depth: depth + 1, top: depth === 1 && path === '' ? p : top });
    }
    return null;
  }
  const keys = Object.keys(value as object);
  for (const k of keys) {
    if (!isStorableText(k)) return { field: path || 'body', message: `keys ${UNSTORABLE_TEXT_RULE}` };
  }
  for (let i = keys.length - 1; i >= 0; i--) {
    const k = keys[i]!;
    const v = (value as Record<string, unknown>)[k];
    if (omitted(v)) continue;
    const p = child(/^[A-Za-z_$][\w$]*$/.test(k) ? k : `[${JSON.stringify(k)}]`);
    stack.push({ value: v, path: p, depth: depth + 1, top: depth === 1 && path === '' ? p : top });
  }
  return null;
}

const utf8 = new TextEncoder();
const jsonBytes = (s: string): number => utf8.encode(JSON.stringify(s)).length;
/** JSON.stringify leaves out object members it cannot write (undefined, functions, symbols) and writes null in arrays. */
const omitted = (v: unknown) => v === undefined || typeof v === 'function' || typeof v === 'symbol';

/** A container's own bytes: brackets, separators and (objects) its keys; its values are counted as they are visited. */
function containerBytes(v: object): number {
  if (Array.isArray(v)) return 2 + Math.max(0, v.length - 1);
  const keys = Object.keys(v).filter((k) => !omitted((v as Record<string, unknown>)[k]));
  return 2 + Math.max(0, keys.length - 1) + keys.reduce((n, k) => n + jsonBytes(k) + 1, 0);
}

/** A number or boolean as JSON; null, non-finite numbers and an array's unwritable items are written `null`. */
function scalarBytes(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v).length : 4;
  if (typeof v === 'boolean') return v ? 4 : 5;
  if (typeof v === 'bigint') return String(v).length;
  return 4;
}

const bytesRule = (n: number) => (n > 0 && n % 1024 === 0 ? `${n / 1024} KB` : `${n} bytes`);
