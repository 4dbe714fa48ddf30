import { Type, type TLiteral } from 'typebox';
import {
  IDENTIFIER_PATTERN,
  MAX_EVIDENCE_ITEMS,
  MINOR_UNITS_PATTERN,
  RAILS,
  STATUSES,
  TEXT_MAX_LENGTH,
} from '../../domain/index.js';

// Building blocks of the request and response schemas. Limits and patterns the domain also enforces come from
// src/domain/limits.ts, so a request the schema lets through is judged by the same rule in decide().

/** Digit strings in minor units: JSON never carries money as a number. */
export const Minor = Type.String({
  pattern: MINOR_UNITS_PATTERN,
  description: 'minor units, digits only',
  examples: ['10000'],
});
export const Id = Type.String({ pattern: IDENTIFIER_PATTERN, examples: ['user-42'] });
export const Uuid = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  examples: ['0190f0c8-0000-7000-8000-000000000001'],
});
export const Text = (max: number, min = 0) => Type.String({ minLength: min, maxLength: max });
export const Evidence = Type.Array(Text(TEXT_MAX_LENGTH.evidenceItem, 1), { maxItems: MAX_EVIDENCE_ITEMS });
export const Iso = Type.String({ format: 'date-time', examples: ['2026-11-23T10:00:00.000Z'] });
export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

/** One literal per value, typed as a tuple so that Static<> of the union is the union of the values. */
const literals = <T extends readonly string[]>(values: T) =>
  values.map((v) => Type.Literal(v)) as unknown as { -readonly [K in keyof T]: TLiteral<T[K]> };

export const Rail = Type.Union(literals(RAILS));
/** The rail of a new escrow: any rail the product knows, documented with those this installation runs. */
export const railOfNewEscrow = (enabled: readonly string[]) =>
  Type.Union(literals(RAILS), {
    description: `enabled here: ${enabled.join(', ') || 'none'} (another known rail is refused: VALIDATION_ERROR)`,
  });
export const Status = Type.Union(literals(STATUSES));

/** A request body that refuses unknown fields, with one example for the OpenAPI document. */
export const strict = <P extends Parameters<typeof Type.Object>[0]>(props: P, example: Record<string, unknown>) =>
  Type.Object(props, { additionalProperties: false, examples: [example] });
