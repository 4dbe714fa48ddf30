import { Type } from 'typebox';

// Errors as application/problem+json (RFC 9457), and how the routes document them.

export const ProblemView = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.String(),
    code: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
    currentStatus: Type.Optional(Type.String()),
  },
  {
    examples: [
      {
        type: 'https://escrow-services.dev/problems/invalid-state-transition',
        title: 'Conflict',
        status: 409,
        detail: 'cannot confirm delivery: escrow is FUNDS_HELD (allowed from DELIVERED)',
        instance: '/api/escrow/0190f0c8-0000-7000-8000-00000000000a/confirm-delivery',
        code: 'INVALID_STATE_TRANSITION',
        currentStatus: 'FUNDS_HELD',
      },
    ],
  },
);

/** An error response as OpenAPI shows it: application/problem+json. */
// In the explicit `content` form @fastify/swagger passes the schema through as is, so the OpenAPI 3.0 `example`
// keyword is set here instead of JSON Schema's `examples`.
const { examples: problemExamples, ...problemSchema } = ProblemView as unknown as { examples: unknown[] } & Record<
  string,
  unknown
>;
export const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { ...problemSchema, example: problemExamples[0] } } },
});
export const problems = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, problemResponse(`problem+json (${c})`)]));
