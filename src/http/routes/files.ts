import { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OpenedFile } from '../../app/files.js';
import { StorageUnavailableError, attachmentDisposition } from '../../app/ports/fileStorage.js';
import type { FilePurpose } from '../../app/ports/fileStore.js';
import { invalid } from '../../domain/index.js';
import { HttpError } from '../problem.js';
import * as S from '../schemas.js';
import * as F from '../schemas/files.js';
import type { Api, RouteDeps } from '../types.js';
import { escrowRouteKit, type EscrowRouteKit } from './escrowRouteKit.js';

const tags = ['files'];
const errors = S.problems(400, 401, 403, 404, 409, 429, 503);
const uploadErrors = S.problems(400, 401, 403, 404, 409, 413, 415, 429, 503);

/**
 * Evidence, contract and deliverable files of an escrow: uploads (multipart through the API, or a presigned PUT then
 * complete), the list, downloads (streamed, or a short-lived URL), for the escrow's parties, admins and the
 * marketplace (service). And the local store's signed URLs, whose token is the authority (no bearer token).
 */
export function fileRoutes(api: Api, ctx: RouteDeps): void {
  void api.register(async (scope: Api) => {
    const { maxBytes } = ctx.deps.files.limits;
    // One byte over the limit reaches the service, which refuses the file with the limit named (FILE_TOO_LARGE).
    const limits = { fileSize: maxBytes + 1, files: 1, fields: 2, parts: 3, fieldNameSize: 64, fieldSize: 64 };
    await scope.register(multipart, { limits, throwFileSizeLimit: false });
    const kit = escrowRouteKit(scope, ctx);
    uploadRoutes(scope, ctx, kit);
    readRoutes(scope, ctx, kit);
  });
  void api.register((scope: Api, _o, done) => {
    // The signed PUT takes the raw bytes of whatever type the URL was signed for; the handler streams request.raw.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, next) => next(null, undefined));
    signedRoutes(scope, ctx);
    done();
  });
}

type FileRequest = FastifyRequest<{ Params: { id: string; fileId: string } }>;
const route = (r: FastifyRequest) => r as FileRequest;

function uploadRoutes(app: Api, ctx: RouteDeps, { authed, actorOf }: EscrowRouteKit): void {
  const { files } = ctx.deps;

  app.post(
    '/escrow/:id/files',
    {
      onRequest: authed,
      schema: {
        tags,
        summary: 'Upload a file (multipart/form-data: optional field purpose, then the part file)',
        description:
          `At most ${files.limits.maxBytes} bytes (413 FILE_TOO_LARGE), of an allowed type (415 ` +
          `FILE_TYPE_NOT_ALLOWED: ${files.limits.allowedTypes.join(', ')}). The answer carries the SHA-256 of the ` +
          'content as stored; deliveries, disputes and the vault cite the file by id and their event records it.',
        params: S.EscrowParams,
        body: F.MultipartUploadBody,
        response: { 201: F.FileResponse, ...uploadErrors },
      } as never,
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const { id } = route(request).params;
      await files.authorizeUpload(actor, id);
      const part = await request.file().catch(notMultipart);
      if (!part) throw invalid('file', 'send the content as a multipart/form-data part named file');
      if (part.fieldname !== 'file') throw invalid(part.fieldname, 'the content goes in a part named file');
      const field = part.fields.purpose;
      const purpose = field && 'value' in field ? (String(field.value) as FilePurpose) : undefined;
      const body = part.file as AsyncIterable<Uint8Array>;
      const file = await storage(
        request,
        files.upload(actor, id, { fileName: part.filename, contentType: part.mimetype, body, ...optional(purpose) }),
      );
      return (reply as FastifyReply).code(201).send(file);
    },
  );

  app.post(
    '/escrow/:id/files/presign',
    {
      onRequest: authed,
      schema: {
        tags,
        summary: 'Start an upload straight to the file store: a PENDING file and the URL to PUT its bytes to',
        description:
          'PUT exactly `size` bytes to upload.url with upload.headers before upload.expiresAt, then POST ' +
          '…/files/{fileId}/complete: the file is STORED with the SHA-256 of what arrived.',
        params: S.EscrowParams,
        body: F.PresignBody,
        response: { 201: F.PresignedUploadView, ...uploadErrors },
      },
    },
    async (request, reply) => {
      const { purpose, ...rest } = request.body;
      const answer = await storage(
        request,
        files.presignUpload(actorOf(request), request.params.id, { ...rest, ...optional(purpose) }),
      );
      return reply.code(201).send(answer);
    },
  );

  app.post(
    '/escrow/:id/files/:fileId/complete',
    {
      onRequest: authed,
      schema: {
        tags,
        summary: 'Finish a presigned upload: hash what the store holds and mark the file STORED (idempotent)',
        description: '409 FILE_NOT_UPLOADED while nothing was PUT; 413 FILE_TOO_LARGE (and the bytes deleted).',
        params: F.FileParams,
        response: { 200: F.FileResponse, ...uploadErrors },
      },
    },
    (request) => storage(request, files.complete(actorOf(request), request.params.id, request.params.fileId)),
  );
}

function readRoutes(app: Api, ctx: RouteDeps, { authed, actorOf }: EscrowRouteKit): void {
  const { files } = ctx.deps;

  app.get(
    '/escrow/:id/files',
    {
      onRequest: authed,
      schema: {
        tags,
        summary: "The escrow's files, oldest first",
        params: S.EscrowParams,
        response: { 200: F.FileList, ...errors },
      },
    },
    async (request) => ({ items: await files.list(actorOf(request), request.params.id) }),
  );

  app.get(
    '/escrow/:id/files/:fileId',
    {
      onRequest: authed,
      schema: { tags, summary: "A file's record", params: F.FileParams, response: { 200: F.FileResponse, ...errors } },
    },
    (request) => files.get(actorOf(request), request.params.id, request.params.fileId),
  );

  app.get(
    '/escrow/:id/files/:fileId/content',
    {
      onRequest: authed,
      schema: {
        tags,
        summary: "Download a file's content (an attachment; x-content-sha256 is the hash recorded at upload)",
        params: F.FileParams,
        response: { 200: F.binaryResponse('the bytes, with the type, name and SHA-256 recorded'), ...errors },
      } as never,
    },
    async (request, reply) => {
      const { id, fileId } = route(request).params;
      return sendFile(reply, await storage(request, files.open(actorOf(request), id, fileId)));
    },
  );

  app.post(
    '/escrow/:id/files/:fileId/url',
    {
      onRequest: authed,
      schema: {
        tags,
        summary: 'A short-lived URL that downloads the content without a bearer token (e.g. for a browser)',
        params: F.FileParams,
        response: { 200: F.DownloadUrlView, ...errors },
      },
    },
    (request) => storage(request, files.downloadUrl(actorOf(request), request.params.id, request.params.fileId)),
  );
}

function signedRoutes(app: Api, ctx: RouteDeps): void {
  const { files } = ctx.deps;
  const signedErrors = S.problems(400, 403, 404, 413, 415, 429, 503);
  type Req = FastifyRequest<{ Params: { '*': string } }>;

  app.put(
    '/files/signed/*',
    {
      schema: {
        tags,
        summary: 'Upload the bytes of a presigned upload (local file store; the token is the authority)',
        description: 'Send the Content-Type the URL was signed for and at most the declared size; then complete it.',
        security: [],
        params: F.SignedTokenParams,
        body: F.SignedPutBody,
        response: { 200: F.SignedPutResult, ...signedErrors },
      } as never,
    },
    (request) => {
      const r = request as Req;
      const type = r.headers['content-type'] ?? '';
      return storage(request, files.signedPut(r.params['*'], type, r.raw as AsyncIterable<Uint8Array>));
    },
  );

  app.get(
    '/files/signed/*',
    {
      schema: {
        tags,
        summary: 'Download through a short-lived URL (local file store; the token is the authority)',
        security: [],
        params: F.SignedTokenParams,
        response: { 200: F.binaryResponse('the bytes, as an attachment'), ...signedErrors },
      } as never,
    },
    async (request, reply) => sendFile(reply, await storage(request, files.signedGet((request as Req).params['*']))),
  );
}

/** The bytes as a download that no browser renders in the API's origin. */
function sendFile(reply: FastifyReply, opened: OpenedFile) {
  const { file } = opened;
  return reply
    .code(200)
    .headers({
      'content-type': file.contentType,
      'content-length': String(opened.size),
      'content-disposition': attachmentDisposition(file.fileName),
      'x-content-sha256': file.sha256 ?? '',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'cache-control': 'private, no-store',
    })
    .send(Readable.from(opened.body));
}

const optional = (purpose: FilePurpose | undefined) => (purpose === undefined ? {} : { purpose });

/** A store that cannot be reached is a 503 the client retries; its own words (paths, buckets) stay in the log. */
function storage<T>(request: FastifyRequest, p: Promise<T>): Promise<T> {
  return p.catch((e: unknown) => {
    if (!(e instanceof StorageUnavailableError)) throw e;
    request.log.error({ err: e }, 'file store unavailable');
    throw new HttpError(503, 'STORAGE_UNAVAILABLE', 'the file store is unavailable; nothing was kept, retry later', {
      'retry-after': '5',
    });
  });
}

/** request.file() on a body that is not a multipart form. */
function notMultipart(e: unknown): never {
  const status = (e as { statusCode?: number }).statusCode;
  if (status === 406) {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send multipart/form-data with a part named file');
  }
  if (status !== undefined) throw e;
  throw invalid('file', `the body is not a readable multipart/form-data form: ${(e as Error).message}`);
}
