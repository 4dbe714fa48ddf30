import { Type } from 'typebox';
import { IDENTIFIER_PATTERN, TEXT_MAX_LENGTH, TOKEN_ID_PATTERN, TOKEN_ID_RULE } from '../../domain/index.js';
import { Uuid, saying } from './common.js';

// Token revocation (POST /api/admin/tokens/revoke, GET /api/admin/tokens/revocations). The service checks again that
// exactly one of jti and subject is given and says what is wrong; these bound the sizes.

const Name = (description: string, example: string) =>
  Type.String({
    pattern: IDENTIFIER_PATTERN,
    description,
    examples: [example],
    ...saying('must be 1-128 letters, digits or . _ : @ -'),
  });

export const RevokeBody = Type.Object(
  {
    jti: Type.Optional(
      Type.String({
        pattern: TOKEN_ID_PATTERN,
        description:
          "one token: its id (the jti claim; `escrow token` prints it with --json, a request's token shows it)",
        examples: ['0190f0c8-0000-4000-8000-00000000a001'],
        ...saying(TOKEN_ID_RULE),
      }),
    ),
    subject: Type.Optional(
      Name('every token of this subject (sub) issued before now; tokens minted after it work', 'ops-mallory'),
    ),
    reason: Type.String({
      minLength: 1,
      maxLength: TEXT_MAX_LENGTH.reason,
      description: 'why (kept with the revocation and in the audit log)',
      ...saying(`must be 1-${TEXT_MAX_LENGTH.reason} characters saying why`),
    }),
    dryRun: Type.Optional(Type.Boolean({ description: 'say what would be revoked, change nothing' })),
  },
  {
    additionalProperties: false,
    description: 'exactly one of jti and subject',
    examples: [
      { jti: '0190f0c8-0000-4000-8000-00000000a001', reason: 'token pasted in a public ticket, INC-2301' },
      { subject: 'ops-mallory', reason: 'seed 004: admin laptop stolen', dryRun: true },
    ],
  },
);

export const RevocationsQuery = Type.Object(
  {
    // the range (1-100, default 20) is checked by the service
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', examples: ['20'], ...saying('must be 1-100') })),
  },
  { additionalProperties: false },
);

const Revocation = Type.Object({
  id: Uuid,
  kind: Type.Union([Type.Literal('jti'), Type.Literal('subject')], {
    description: 'jti: one token; subject: every token of it issued (iat) before revokedAt',
  }),
  value: Type.String({ description: 'the token id or the subject' }),
  reason: Type.String(),
  revokedBy: Type.String({ description: "who revoked: the admin token's subject or cli:<user>" }),
  revokedRole: Type.String(),
  revokedAt: Type.String(),
});

const BY_JTI = {
  id: '0190f0c8-0000-7000-8000-0000000000d1',
  kind: 'jti',
  value: '0190f0c8-0000-4000-8000-00000000a001',
  reason: 'token pasted in a public ticket, INC-2301',
  revokedBy: 'ops-alice',
  revokedRole: 'admin',
  revokedAt: '2026-12-02T10:00:00.000Z',
};
const BY_SUBJECT = {
  ...BY_JTI,
  id: '0190f0c8-0000-7000-8000-0000000000d2',
  kind: 'subject',
  value: 'ops-mallory',
  reason: 'seed 004: admin laptop stolen',
  revokedAt: '2026-12-02T11:00:00.000Z',
};

export const RevokeView = Type.Object(
  {
    dryRun: Type.Boolean({ description: 'true: what would be stored; nothing was stored or audited' }),
    revoked: Type.Boolean({ description: 'false: that token id was already revoked (its first revocation shown)' }),
    revocation: Revocation,
  },
  {
    examples: [
      { dryRun: false, revoked: true, revocation: BY_JTI },
      { dryRun: true, revoked: true, revocation: BY_SUBJECT },
    ],
  },
);

export const RevocationList = Type.Object(
  { items: Type.Array(Revocation, { description: 'newest first' }) },
  { examples: [{ items: [BY_SUBJECT, BY_JTI] }] },
);
