/**
 * Every size limit and input pattern the engine enforces, in one place. The decider checks them; the HTTP schemas
 * (and so the OpenAPI document) are built from the same constants, so the edge and the domain cannot drift apart.
 * Patterns are strings because JSON Schema carries them that way; the domain compiles them once.
 */

/** Identifiers callers choose (offer, contract, buyer, seller): 1-128 characters, no spaces. */
export const IDENTIFIER_PATTERN = '^[A-Za-z0-9._:@-]{1,128}$';
export const IDENTIFIER_RULE = 'must be 1-128 of A-Z a-z 0-9 . _ : @ -';

/** A token's id (its `jti`), as identity providers make them: also base64's + / = (revocation by id). */
export const TOKEN_ID_PATTERN = '^[A-Za-z0-9._:@+/=-]{1,256}$';
export const TOKEN_ID_RULE = 'must be 1-256 of A-Z a-z 0-9 . _ : @ + / = -';

/** Amounts on the wire: a digit string in minor units, no sign, decimals, exponent or leading zeros. */
export const MINOR_UNITS_PATTERN = '^(0|[1-9][0-9]{0,17})$';

/** Largest amount the engine accepts: 10^15 minor units keeps every sum far inside int8. */
export const MAX_MINOR = 10n ** 15n;

/** An ISO 8601 date-time with its zone, as callers give times (expiries, report and recover windows). */
export const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

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

/** Items in one evidence list (a delivery's or a dispute's); the same bound for its files. */
export const MAX_EVIDENCE_ITEMS = 50;

/** Milestones of one escrow (SPEC §3.2). */
export const MAX_MILESTONES = 50;

/** A stored file's id as events cite it, and the SHA-256 of its content (64 lower-case hex digits). */
export const FILE_ID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
export const SHA256_PATTERN = '^[0-9a-f]{64}$';
/** A file's name as uploaded: no path separators or control characters. */
export const FILE_NAME_MAX_LENGTH = 255;

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

/** A NUL or any surrogate half: most text has neither, so this one quick test settles it. */
const SUSPECT = /[\0\ud800-\udfff]/;

/** Whether text can be stored as it is: no NUL and no unpaired UTF-16 surrogate. */
export const isStorableText = (s: string): boolean =>
  !SUSPECT.test(s) || (!s.includes('\0') && !LONE_SURROGATE.test(s));

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

/** An array or object being walked: where it is, and which of its members comes next. */
interface Frame {
  path: string;
  depth: number;
  /** The field a depth refusal names: the body's top-level field, or the named root. */
  top: string;
  members: unknown[] | Record<string, unknown>;
  /** An object's keys (the members JSON.stringify writes); null for an array. */
  keys: string[] | null;
  next: number;
}

interface Walk {
  limits: JsonLimits;
  root: string;
  frames: Frame[];
  bytes: number;
}

/**
 * The first reason a JSON value cannot be taken in, or null: text PostgreSQL cannot store (in a key or a value),
 * nesting deeper than `maxDepth`, more than `maxBytes` as JSON. It walks depth first with a stack of its own (one
 * frame per level, so memory follows the depth, not the size), never the call stack, so no input can overflow it;
 * it stops at the first problem in reading order. `root` names the value in the field paths ('' for a body: its
 * fields are then named as they are).
 */
export function jsonProblem(value: unknown, limits: JsonLimits, root = ''): JsonProblem | null {
  const walk: Walk = { limits, root, frames: [], bytes: 0 };
  let problem = visit(walk, value, null, root);
  while (!problem && walk.frames.length > 0) {
    const f = walk.frames[walk.frames.length - 1]!;
    const size = f.keys ? f.keys.length : (f.members as unknown[]).length;
    if (f.next >= size) {
      walk.frames.pop();
      continue;
    }
    const i = f.next++;
    const key = f.keys?.[i];
    const member = key === undefined ? (f.members as unknown[])[i] : (f.members as Record<string, unknown>)[key];
    problem = visit(walk, member, f, key ?? i);
  }
  return problem;
}

/** A member's field path: `parent.key`, `parent[3]`, `parent["two words"]` (built only when needed). */
function pathOf(parent: Frame | null, at: string | number): string {
  if (!parent) return at as string;
  const segment = typeof at === 'number' ? `[${at}]` : /^[A-Za-z_$][\w$]*$/.test(at) ? at : `[${JSON.stringify(at)}]`;
  return parent.path && !segment.startsWith('[') ? `${parent.path}.${segment}` : `${parent.path}${segment}`;
}

/**
 * Checks one value (the root when `parent` is null; `at` is then the root's name); an array or object becomes the
 * next frame, its members visited after it.
 */
function visit(walk: Walk, v: unknown, parent: Frame | null, at: string | number): JsonProblem | null {
  const { maxDepth, maxBytes } = walk.limits;
  if (typeof v === 'string') {
    if (!isStorableText(v)) return { field: pathOf(parent, at) || 'body', message: UNSTORABLE_TEXT_RULE };
    if (maxBytes !== undefined) walk.bytes += jsonStringBytes(v);
  } else if (typeof v === 'object' && v !== null) {
    const depth = parent ? parent.depth + 1 : 1;
    const path = pathOf(parent, at);
    const top = parent && parent.depth === 1 && parent.path === '' ? path : (parent?.top ?? walk.root);
    if (depth > maxDepth)
      return { field: top || 'body', message: `must not be nested more than ${maxDepth} levels deep` };
    const members = v as unknown[] | Record<string, unknown>;
    const keys = Array.isArray(v) ? null : Object.keys(v).filter((k) => !omitted((v as Record<string, unknown>)[k]));
    if (keys?.some((k) => !isStorableText(k)))
      return { field: path || 'body', message: `keys ${UNSTORABLE_TEXT_RULE}` };
    walk.frames.push({ path, depth, top, members, keys, next: 0 });
    if (maxBytes !== undefined) walk.bytes += containerBytes(members, keys);
  } else if (maxBytes !== undefined) {
    walk.bytes += scalarBytes(v);
  }
  if (maxBytes !== undefined && walk.bytes > maxBytes) {
    return { field: walk.root || 'body', message: `must be at most ${bytesRule(maxBytes)} as JSON` };
  }
  return null;
}

/**
 * The UTF-8 bytes of a string as JSON.stringify writes it (quotes and escapes included), counted without building
 * it. Lone surrogates (which it would escape) are refused before this is asked.
 */
function jsonStringBytes(s: string): number {
  let n = 2;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) n += 2;
    else if (c < 0x20) n += c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d ? 2 : 6;
    else if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4; // a pair: one code point of 4 bytes
      i++;
    } else n += 3;
  }
  return n;
}
/** JSON.stringify leaves out object members it cannot write (undefined, functions, symbols) and writes null in arrays. */
const omitted = (v: unknown) => v === undefined || typeof v === 'function' || typeof v === 'symbol';

/** A container's own bytes: brackets, separators and (objects) its keys; its values are counted as they are visited. */
function containerBytes(members: unknown[] | Record<string, unknown>, keys: string[] | null): number {
  if (!keys) return 2 + Math.max(0, (members as unknown[]).length - 1);
  return 2 + Math.max(0, keys.length - 1) + keys.reduce((n, k) => n + jsonStringBytes(k) + 1, 0);
}

/** A number or boolean as JSON; null, non-finite numbers and an array's unwritable items are written `null`. */
function scalarBytes(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v).length : 4;
  if (typeof v === 'boolean') return v ? 4 : 5;
  if (typeof v === 'bigint') return String(v).length;
  return 4;
}

const bytesRule = (n: number) => (n > 0 && n % 1024 === 0 ? `${n / 1024} KB` : `${n} bytes`);
