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

/**
 * What a person reads when a value fails its schema, in place of the validator's words (a raw pattern): the problem
 * formatter (src/http/problem.ts) uses it for any failure of that schema. An OpenAPI extension, so the document
 * keeps it.
 */
export const saying = (message: string) => ({ 'x-message': message });
/** Why an object needs a property the caller left out, by property ("is required for SPLIT"). */
export const requiring = (reasons: Record<string, string>) => ({ 'x-required': reasons });

/** Digit strings in minor units: JSON never carries money as a number. */
export const Minor = Type.String({
  pattern: MINOR_UNITS_PATTERN,
  description: 'minor units, digits only',
  examples: ['10000'],
  ...saying('must be minor units as a digit string, e.g. "10000" for 100.00 USD'),
});
export const Id = Type.String({
  pattern: IDENTIFIER_PATTERN,
  examples: ['user-42'],
  ...saying('must be 1-128 letters, digits or . _ : @ -'),
});
export const Uuid = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  examples: ['0190f0c8-0000-7000-8000-000000000001'],
  ...saying('must be a UUID, e.g. 0190f0c8-0000-7000-8000-000000000001'),
});
export const Currency = Type.String({
  pattern: '^[A-Z]{3,5}$',
  examples: ['USD'],
  ...saying('must be a currency code of 3-5 capital letters, e.g. USD'),
});
export const Text = (max: number, min = 0) => Type.String({ minLength: min, maxLength: max });
export const Evidence = Type.Array(Text(TEXT_MAX_LENGTH.evidenceItem, 1), { maxItems: MAX_EVIDENCE_ITEMS });
export const Iso = Type.String({
  format: 'date-time',
  examples: ['2026-11-23T10:00:00.000Z'],
  ...saying('must be an ISO 8601 date-time, e.g. 2026-11-23T10:00:00.000Z'),
});
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

/**
 * Properties an object needs for some values of its `tag` only (SPLIT needs buyerAmount): a discriminated oneOf,
 * valid OpenAPI 3.0, whose branch for a value names what it requires and why ("is required for SPLIT").
 */
export function requiredWhen(tag: string, byValue: Record<string, readonly string[]>) {
  return {
    discriminator: { propertyName: tag },
    oneOf: Object.entries(byValue).map(([value, required]) => ({
      type: 'object',
      properties: { [tag]: { enum: [value] } },
      ...(required.length > 0
        ? { required, ...requiring(Object.fromEntries(required.map((r) => [r, `is required for ${value}`]))) }
        : {}),
    })),
  };
}
