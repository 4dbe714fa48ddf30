import { Type } from 'typebox';
import { FILE_NAME_MAX_LENGTH } from '../../domain/limits.js';
import { Iso, Nullable, Uuid, saying } from './common.js';

// Evidence, contract and deliverable files of an escrow (/api/escrow/{id}/files…) and the local store's signed URLs.

const AT = '2026-12-02T10:00:00.000Z';
const ESCROW_ID = '0190f0c8-0000-7000-8000-000000000001';
const FILE_ID = '0190f0c8-0000-7000-8000-0000000000f2';
const SHA = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const SIGNED = 'https://escrow.example.com/api/files/signed/eyJrIjoiZXNjcm93cy8uLi4ifQ.c2lnbmF0dXJl';

export const FileParams = Type.Object({ id: Uuid, fileId: Uuid }, { additionalProperties: false });

/**
 * The token of a signed URL: a wildcard segment, because tokens are longer than a route parameter may be (Fastify's
 * maxParamLength, 100); it never holds a `/`.
 */
export const SignedTokenParams = Type.Object(
  {
    '*': Type.String({
      minLength: 1,
      maxLength: 4096,
      description: 'the token of the signed URL',
      examples: ['eyJrIjoiZXNjcm93cy8uLi4ifQ.c2lnbmF0dXJl'],
    }),
  },
  { additionalProperties: false },
);

export const FilePurposeSchema = Type.Union(
  [Type.Literal('EVIDENCE'), Type.Literal('CONTRACT'), Type.Literal('DELIVERABLE')],
  { description: 'what the file is for (default EVIDENCE)', ...saying('must be EVIDENCE, CONTRACT or DELIVERABLE') },
);

export const FileView = Type.Object({
  id: Uuid,
  escrowId: Uuid,
  purpose: FilePurposeSchema,
  fileName: Type.String({ minLength: 1, maxLength: FILE_NAME_MAX_LENGTH }),
  contentType: Type.String({ examples: ['application/pdf'] }),
  size: Nullable(Type.Integer({ minimum: 0, description: 'bytes; while PENDING, the size declared for the upload' })),
  sha256: Nullable(Type.String({ description: 'lower-case hex SHA-256 of the content; null while PENDING' })),
  status: Type.Union([Type.Literal('PENDING'), Type.Literal('STORED')], {
    description: 'PENDING: a presigned upload not completed yet; STORED: the content is stored and hashed',
  }),
  uploadedBy: Type.String(),
  createdAt: Iso,
  storedAt: Nullable(Iso),
});

const STORED_EXAMPLE = {
  id: FILE_ID,
  escrowId: ESCROW_ID,
  purpose: 'EVIDENCE',
  fileName: 'invoice-7.pdf',
  contentType: 'application/pdf',
  size: 48213,
  sha256: SHA,
  status: 'STORED',
  uploadedBy: 'seller-17',
  createdAt: AT,
  storedAt: AT,
};
const PENDING_EXAMPLE = { ...STORED_EXAMPLE, purpose: 'DELIVERABLE', sha256: null, status: 'PENDING', storedAt: null };

/** A file as answered by upload, complete and GET: the JSON Schema `examples` @fastify/swagger shows. */
export const FileResponse = Type.Object(FileView.properties, { examples: [STORED_EXAMPLE] });

export const FileList = Type.Object({ items: Type.Array(FileView) }, { examples: [{ items: [STORED_EXAMPLE] }] });

/**
 * The multipart form as OpenAPI shows it. Parts are read by the handler as they stream (the bytes never sit in
 * memory): Fastify validates what the parser left (nothing, null), so the schema is nullable; the service checks the
 * name, type and size.
 */
export const MultipartUploadBody = {
  content: {
    'multipart/form-data': {
      schema: {
        type: 'object',
        nullable: true,
        properties: {
          purpose: { ...FilePurposeSchema, description: 'what the file is for (default EVIDENCE); put it before file' },
          file: { type: 'string', format: 'binary', description: 'the content, with its file name and content type' },
        },
        required: ['file'],
        examples: [{ purpose: 'EVIDENCE', file: '(the bytes of invoice-7.pdf)' }],
      },
    },
  },
} as const;

export const PresignBody = Type.Object(
  {
    fileName: Type.String({ minLength: 1, maxLength: 1024, description: 'the name it downloads as; a path is cut' }),
    contentType: Type.String({ minLength: 1, maxLength: 255, description: 'one of the allowed MIME types' }),
    size: Type.Integer({ minimum: 0, description: 'the exact size in bytes the client will PUT' }),
    purpose: Type.Optional(FilePurposeSchema),
  },
  {
    additionalProperties: false,
    examples: [{ fileName: 'photos.zip', contentType: 'application/zip', size: 48213, purpose: 'DELIVERABLE' }],
  },
);

export const PresignedUploadView = Type.Object(
  {
    file: FileView,
    upload: Type.Object({
      url: Type.String({ description: 'PUT the bytes here, then POST …/files/{fileId}/complete' }),
      method: Type.Literal('PUT'),
      headers: Type.Record(Type.String(), Type.String(), { description: 'send these headers with the PUT' }),
      expiresAt: Iso,
    }),
  },
  {
    examples: [
      {
        file: PENDING_EXAMPLE,
        upload: {
          url: SIGNED,
          method: 'PUT',
          headers: { 'content-type': 'application/zip' },
          expiresAt: '2026-12-02T10:05:00.000Z',
        },
      },
    ],
  },
);

export const DownloadUrlView = Type.Object(
  { url: Type.String({ description: 'GET downloads the content as an attachment' }), expiresAt: Iso },
  { examples: [{ url: SIGNED, expiresAt: '2026-12-02T10:05:00.000Z' }] },
);

export const SignedPutResult = Type.Object(
  { size: Type.Integer({ minimum: 0, description: 'bytes received' }) },
  { examples: [{ size: 48213 }] },
);

/** A file's bytes, as OpenAPI shows them (sent as a stream, not serialised). */
export const binaryResponse = (description: string) => ({
  description,
  content: {
    'application/octet-stream': {
      schema: { type: 'string', format: 'binary', example: '(the bytes of the file, as uploaded)' },
    },
  },
});

/** The raw body of a signed PUT: any allowed type (the one the URL was signed for); no `type`, so nothing is parsed. */
export const SignedPutBody = {
  content: {
    'application/octet-stream': {
      schema: {
        description: 'the bytes of the file, sent with the Content-Type the upload URL names',
        examples: ['(the bytes of photos.zip)'],
      },
    },
  },
} as const;
