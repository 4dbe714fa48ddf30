import { invalid } from '../errors.js';
import type { FileRef } from '../types.js';
import {
  FILE_ID_PATTERN,
  FILE_NAME_MAX_LENGTH,
  SHA256_PATTERN,
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

const FILE_ID = new RegExp(FILE_ID_PATTERN);
const SHA256 = new RegExp(SHA256_PATTERN);

/**
 * Files an event cites, as the command path resolved them (the escrow's own uploaded files, with their hashes):
 * checked again here whatever the caller, at most MAX_EVIDENCE_ITEMS, no file twice.
 */
export function fileRefs(value: unknown, field: string): FileRef[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(field, 'must be a list of file ids');
  if (value.length > MAX_EVIDENCE_ITEMS) throw invalid(field, `must have at most ${MAX_EVIDENCE_ITEMS} files`);
  const seen = new Set<string>();
  return value.map((v: Partial<FileRef> | null, i) => {
    const f = `${field}[${i}]`;
    if (typeof v !== 'object' || v === null || typeof v.fileId !== 'string' || !FILE_ID.test(v.fileId)) {
      throw invalid(f, 'must be the id of a file uploaded to this escrow');
    }
    if (seen.has(v.fileId)) throw invalid(f, `file ${v.fileId} is listed twice`);
    seen.add(v.fileId);
    if (typeof v.sha256 !== 'string' || !SHA256.test(v.sha256)) throw invalid(f, 'has no SHA-256 of its content');
    return { fileId: v.fileId, sha256: v.sha256, fileName: text(v.fileName, `${f}.fileName`, 1, FILE_NAME_MAX_LENGTH) };
  });
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
