import { Type } from 'typebox';
import { TEXT_MAX_LENGTH } from '../../domain/index.js';
import { Iso, Nullable, Uuid, saying } from './common.js';

// The blacklist (GET/POST /api/admin/blacklist, POST /api/admin/blacklist/{entryId}/remove). The service checks each
// value by its kind (a user id, or a wallet address) and says what is wrong; these bound the sizes.

const AT = '2026-12-02T10:00:00.000Z';
const WALLET = '0x8ba1f109551bd432803012645ac136ddd64dba72';

const Kind = Type.Union([Type.Literal('USER'), Type.Literal('WALLET')], {
  description: 'USER: a marketplace user id as in buyerId/sellerId; WALLET: a wallet address (stored lower-case)',
});
const Reason = Type.String({
  minLength: 1,
  maxLength: TEXT_MAX_LENGTH.reason,
  description: 'why (kept in the entry and the audit log)',
  ...saying(`must be 1-${TEXT_MAX_LENGTH.reason} characters saying why`),
});

export const BlacklistEntryParams = Type.Object({ entryId: Uuid }, { additionalProperties: false });

export const BlacklistAddBody = Type.Object(
  {
    kind: Kind,
    value: Type.String({
      minLength: 1,
      maxLength: 128,
      description: 'USER: 1-128 of A-Z a-z 0-9 . _ : @ -; WALLET: 1-128 of A-Z a-z 0-9 : _ . - (any case)',
    }),
    reason: Reason,
    source: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'where it came from: MANUAL (the default), OFAC, CHAINALYSIS, SUPPORT_TICKET-123 ...',
      }),
    ),
    expiresAt: Type.Optional(
      Type.Union([Iso, Type.Null()], {
        description: 'when it stops applying by itself (in the future); null or absent: never',
      }),
    ),
    dryRun: Type.Optional(Type.Boolean({ description: 'validate and look for a conflicting entry, store nothing' })),
  },
  {
    additionalProperties: false,
    examples: [
      { kind: 'WALLET', value: WALLET, reason: 'OFAC SDN list match', source: 'OFAC' },
      {
        kind: 'USER',
        value: 'buyer-1042',
        reason: 'repeated chargeback fraud (RB-04)',
        source: 'SUPPORT_TICKET-123',
        expiresAt: '2099-12-31T00:00:00.000Z',
        dryRun: true,
      },
    ],
  },
);

export const BlacklistRemoveBody = Type.Object(
  {
    reason: Reason,
    dryRun: Type.Optional(Type.Boolean({ description: 'show the entry as it would be removed, change nothing' })),
  },
  {
    additionalProperties: false,
    examples: [{ reason: 'appeal granted (SUPPORT_TICKET-456)' }, { reason: 'check', dryRun: true }],
  },
);

export const BlacklistListQuery = Type.Object(
  {
    kind: Type.Optional(Kind),
    active: Type.Optional(
      Type.Union([Type.Literal('true'), Type.Literal('false')], {
        description: 'true: entries in force; false: removed or expired ones (the history); absent: every entry',
      }),
    ),
    // the range (1-100, default 50) is checked by the service
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', examples: ['50'], ...saying('must be 1-100') })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);

const EntryView = Type.Object({
  id: Uuid,
  kind: Kind,
  value: Type.String(),
  reason: Type.String(),
  source: Type.String(),
  expiresAt: Nullable(Type.String()),
  createdBy: Type.String(),
  createdAt: Type.String(),
  removedAt: Nullable(Type.String()),
  removedBy: Nullable(Type.String()),
  removalReason: Nullable(Type.String()),
});

const ENTRY = {
  id: '0190f0c8-0000-7000-8000-0000000000b1',
  kind: 'WALLET',
  value: WALLET,
  reason: 'OFAC SDN list match',
  source: 'OFAC',
  expiresAt: null,
  createdBy: 'ops-alice',
  createdAt: AT,
  removedAt: null,
  removedBy: null,
  removalReason: null,
};
const REMOVED = {
  ...ENTRY,
  id: '0190f0c8-0000-7000-8000-0000000000b2',
  kind: 'USER',
  value: 'buyer-1042',
  reason: 'repeated chargeback fraud (RB-04)',
  source: 'SUPPORT_TICKET-123',
  expiresAt: '2027-06-30T00:00:00.000Z',
  removedAt: '2026-12-03T09:00:00.000Z',
  removedBy: 'ops-bob',
  removalReason: 'appeal granted (SUPPORT_TICKET-456)',
};

export const BlacklistChangeView = Type.Object(
  {
    entry: EntryView,
    dryRun: Type.Boolean({ description: 'true: what the change would be; nothing was stored or audited' }),
  },
  {
    examples: [
      { entry: ENTRY, dryRun: false },
      { entry: REMOVED, dryRun: false },
    ],
  },
);

export const BlacklistPageView = Type.Object(
  { data: Type.Array(EntryView), nextCursor: Nullable(Type.String()) },
  { examples: [{ data: [ENTRY, REMOVED], nextCursor: null }] },
);
