import { invalid } from '../errors.js';
import {
  IDENTIFIER_PATTERN,
  IDENTIFIER_RULE,
  MAX_EVIDENCE_ITEMS,
  METADATA_MAX_BYTES,
  METADATA_MAX_DEPTH,
  TEXT_MAX_LENGTH,
  jsonProblem,
} from '../limits.js';

// Input guards: commands come from the wire, so every field is checked here whatever the caller validated.

/** A trimmed string of `min` to `max` characters. */
export function text(value: unknown, field: string, min: number, max: number): string {
  if (typeof value !== 'string') throw invalid(field, 'must be a string');
  const t = value.trim();
  if (t.length < min) throw invalid(field, min === 1 ? 'is required' : `must be at least ${min} characters`);
  if (t.length > max) throw invalid(field, `must be at most ${max} characters`);
  return t;
}

/** Like text(), but absent, null or empty is null. */
export function optionalText(value: unknown, field: string, max: number): string | null {
  if (value === undefined || value === null || value === '') return null;
  return text(value, field, 0, max);
}

export function evidenceList(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(field, 'must be an array of strings');
  if (value.length > MAX_EVIDENCE_ITEMS) throw invalid(field, `must have at most ${MAX_EVIDENCE_ITEMS} items`);
  return value.map((v, i) => text(v, `${field}[${i}]`, 1, TEXT_MAX_LENGTH.evidenceItem));
}

const ID = new RegExp(IDENTIFIER_PATTERN);
export function identifier(value: unknown, field: string): string {
  if (typeof value !== 'string' || !ID.test(value)) throw invalid(field, IDENTIFIER_RULE);
  return value;
}

export function metadataOf(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid('metadata', 'must be a JSON object');
  // Depth and size (UTF-8 JSON, the way it is stored) bounded without recursion: any nesting is a 400, never a crash.
  const problem = jsonProblem(value, { maxDepth: METADATA_MAX_DEPTH, maxBytes: METADATA_MAX_BYTES }, 'metadata');
  if (problem) throw invalid(problem.field, problem.message);
  return value as Record<string, unknown>;
}
