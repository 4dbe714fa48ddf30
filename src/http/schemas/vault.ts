import { Type } from 'typebox';
import { VAULT_MAX_PLAINTEXT_BYTES } from '../../app/ports/index.js';
import { Iso, Nullable, Uuid, strict } from './common.js';
import { FileRefView } from './escrowViews.js';

// The credential vault: what the seller puts in (PUT /api/escrow/{id}/vault) and what the buyer sees on reveal.

const Kind = Type.Union(
  ['CREDENTIALS', 'LICENSE_KEY', 'FILE', 'OTHER'].map((k) => Type.Literal(k)),
  { description: 'what the secret is' },
);

export const VaultBody = strict(
  {
    kind: Kind,
    secret: Type.String({
      minLength: 1,
      maxLength: VAULT_MAX_PLAINTEXT_BYTES,
      description: `the secret deliverable (at most ${VAULT_MAX_PLAINTEXT_BYTES} bytes as UTF-8): sealed with AES-256-GCM, never logged, shown only to the buyer once the money is held`,
    }),
    fileId: Type.Optional(Uuid),
  },
  { kind: 'CREDENTIALS', secret: 'login: seller-account-77\npassword: correct-horse-battery-staple' },
);

export const RevealedVault = Type.Object(
  {
    escrowId: Uuid,
    kind: Type.String(),
    secret: Type.String(),
    file: Nullable(FileRefView),
    fingerprint: Type.String(),
    revealCount: Type.Integer(),
    firstRevealedAt: Iso,
    revealedAt: Iso,
  },
  {
    examples: [
      {
        escrowId: '0190f0c8-0000-7000-8000-00000000000a',
        kind: 'CREDENTIALS',
        secret: 'login: seller-account-77\npassword: correct-horse-battery-staple',
        file: null,
        fingerprint: '5f0c9a6f3e1f4b5c8e2a7d9b1c3e5f7a9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a',
        revealCount: 1,
        firstRevealedAt: '2026-11-24T09:00:00.000Z',
        revealedAt: '2026-11-24T09:00:00.000Z',
      },
    ],
  },
);
