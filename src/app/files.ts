import { DomainError, invalid, type Actor, type FileRef } from '../domain/index.js';
import { FILE_NAME_MAX_LENGTH, MAX_EVIDENCE_ITEMS } from '../domain/limits.js';
import type { EscrowQueryService } from './escrowQueries.js';
import { isUuid, newId } from './ids.js';
import type { Clock } from './ports/clock.js';
import { FileTooLargeError, type FileStorage, type PresignedUpload } from './ports/fileStorage.js';
import {
  FILE_PURPOSES,
  type EscrowFile,
  type EscrowFileRecord,
  type FilePurpose,
  type FileRecordStore,
} from './ports/fileStore.js';

/** Bytes per file; lower-case MIME types an upload may declare; lifetime of presigned URLs (seconds). */
export interface FileLimits {
  maxBytes: number;
  allowedTypes: readonly string[];
  urlTtlSeconds: number;
}

export interface FileUpload {
  fileName: string;
  contentType: string;
  purpose?: FilePurpose;
  body: AsyncIterable<Uint8Array>;
}

/** What the content routes stream: the record, its bytes and their count in the store (what the body yields). */
export interface OpenedFile {
  file: EscrowFile;
  body: AsyncIterable<Uint8Array>;
  size: number;
}

/**
 * Escrows' evidence, contract and deliverable files: the bytes in the file store under `escrows/<escrowId>/<fileId>`,
 * the record (name, type, size, SHA-256, uploader) in the database. A user reaches only the files of escrows they are a
 * party of (anyone else gets ESCROW_NOT_FOUND, as for the escrow itself); admins and the marketplace (service) reach
 * every escrow's files, as they read every escrow. A STORED record always has its bytes written and hashed first.
 */
export class FileService {
  constructor(
    private readonly deps: {
      store: FileRecordStore;
      storage: FileStorage;
      escrows: Pick<EscrowQueryService, 'get'>;
      clock: Clock;
      limits: FileLimits;
      newId?: () => string;
    },
  ) {}

  get limits(): FileLimits {
    return this.deps.limits;
  }

  /** Stores the body (hashing it on the way) and records it STORED. Nothing is kept when a limit refuses it. */
  async upload(actor: Actor, escrowId: string, input: FileUpload): Promise<EscrowFile> {
    await this.authorizeUpload(actor, escrowId);
    const fileName = cleanFileName(input.fileName);
    const contentType = this.allowedType(input.contentType);
    const purpose = purposeOf(input.purpose);
    const id = (this.deps.newId ?? newId)();
    const storageKey = `escrows/${escrowId}/${id}`;
    const { size, sha256 } = await this.deps.storage
      .write(storageKey, input.body, { contentType, maxBytes: this.deps.limits.maxBytes })
      .catch((e: unknown) => {
        throw this.tooLarge(e, 'file');
      });
    try {
      const file = await this.deps.store.insert({
        ...{ id, escrowId, purpose, fileName, contentType, size, sha256, storageKey, status: 'STORED' },
        actor: { id: actor.id, role: actor.role },
        at: this.deps.clock.now().toISOString(),
      });
      return view(file);
    } catch (e) {
      await this.deps.storage.remove(storageKey).catch(() => undefined);
      throw e;
    }
  }

  /** Records a PENDING file and answers where to PUT its bytes; the client then calls complete. */
  async presignUpload(
    actor: Actor,
    escrowId: string,
    input: { fileName: string; contentType: string; size: number; purpose?: FilePurpose },
  ): Promise<{ file: EscrowFile; upload: PresignedUpload }> {
    await this.authorizeUpload(actor, escrowId);
    const fileName = cleanFileName(input.fileName);
    const contentType = this.allowedType(input.contentType);
    const purpose = purposeOf(input.purpose);
    const { size } = input;
    if (!Number.isSafeInteger(size) || size < 0)
      throw invalid('size', 'must be the file size in bytes, an integer ≥ 0');
    if (size > this.deps.limits.maxBytes) throw this.tooLarge(new FileTooLargeError(this.deps.limits.maxBytes), 'size');
    const id = (this.deps.newId ?? newId)();
    const storageKey = `escrows/${escrowId}/${id}`;
    const upload = await this.deps.storage.presignUpload(storageKey, {
      contentType,
      size,
      expiresInSeconds: this.deps.limits.urlTtlSeconds,
    });
    const file = await this.deps.store.insert({
      ...{ id, escrowId, purpose, fileName, contentType, size, sha256: null, storageKey, status: 'PENDING' },
      actor: { id: actor.id, role: actor.role },
      at: this.deps.clock.now().toISOString(),
    });
    return { file: view(file), upload };
  }

  /** Hashes what a presigned upload stored and records it STORED; a file already STORED is answered as it is. */
  async complete(actor: Actor, escrowId: string, fileId: string): Promise<EscrowFile> {
    await this.authorizeUpload(actor, escrowId);
    const file = await this.record(escrowId, fileId);
    if (file.status === 'STORED') return view(file);
    const stored = await this.deps.storage.digest(file.storageKey, this.deps.limits.maxBytes).catch((e: unknown) => {
      throw this.tooLarge(e, 'fileId');
    });
    if (!stored) throw notUploaded(fileId, 'fileId', 'PUT its bytes to the upload URL first, then complete it');
    const done = await this.deps.store.markStored({
      escrowId,
      fileId,
      size: stored.size,
      sha256: stored.sha256,
      actor: { id: actor.id, role: actor.role },
      at: this.deps.clock.now().toISOString(),
    });
    if (!done) throw fileNotFound(fileId, 'fileId');
    return view(done.file);
  }

  /** The escrow's files, oldest first. */
  async list(actor: Actor, escrowId: string): Promise<EscrowFile[]> {
    await this.readable(actor, escrowId);
    return (await this.deps.store.list(escrowId)).map(view);
  }

  /** One file's record (PENDING ones too). */
  async get(actor: Actor, escrowId: string, fileId: string): Promise<EscrowFile> {
    await this.readable(actor, escrowId);
    return view(await this.record(escrowId, fileId));
  }

  /** A STORED file's bytes. */
  async open(actor: Actor, escrowId: string, fileId: string): Promise<OpenedFile> {
    await this.readable(actor, escrowId, fileId);
    return this.content(await this.stored(escrowId, fileId));
  }

  /** A short-lived URL that downloads a STORED file as an attachment. */
  async downloadUrl(actor: Actor, escrowId: string, fileId: string): Promise<{ url: string; expiresAt: string }> {
    await this.readable(actor, escrowId, fileId);
    const file = await this.stored(escrowId, fileId);
    return this.deps.storage.presignDownload(file.storageKey, {
      expiresInSeconds: this.deps.limits.urlTtlSeconds,
      fileName: file.fileName,
      contentType: file.contentType,
    });
  }

  /**
   * The FileRefs (id, SHA-256, name) a delivery, dispute or vault command cites, in the order given: each id must be a
   * STORED file of this escrow (one query for all of them).
   */
  async resolve(actor: Actor, escrowId: string, fileIds: readonly string[]): Promise<FileRef[]> {
    await this.deps.escrows.get(actor, escrowId);
    const given: unknown = fileIds;
    if (!Array.isArray(given)) throw invalid('fileIds', 'must be a list of file ids');
    if (fileIds.length > MAX_EVIDENCE_ITEMS) throw invalid('fileIds', `must have at most ${MAX_EVIDENCE_ITEMS} files`);
    fileIds.forEach((id, i) => {
      if (!isUuid(id)) throw invalid(`fileIds[${i}]`, 'must be a file id (a UUID from POST /api/escrow/{id}/files)');
      if (fileIds.indexOf(id) !== i) throw invalid(`fileIds[${i}]`, `lists file ${id} twice: cite each file once`);
    });
    const found = new Map((await this.deps.store.getMany(escrowId, fileIds)).map((f) => [f.id, f]));
    const missing = fileIds.flatMap((id, i) => (found.has(id) ? [] : [{ id, field: `fileIds[${i}]` }]));
    if (missing.length > 0) {
      throw new DomainError('FILE_NOT_FOUND', `file ${missing[0]!.id} is not a file of escrow ${escrowId}`, {
        errors: missing.map((m) => ({ field: m.field, message: `no file ${m.id} in this escrow: upload it first` })),
      });
    }
    const refs = fileIds.map((id, i) => ({ file: found.get(id)!, field: `fileIds[${i}]` }));
    const pending = refs.filter((r) => r.file.status !== 'STORED');
    if (pending.length > 0) {
      throw new DomainError('FILE_NOT_UPLOADED', `file ${pending[0]!.file.id} has no content yet`, {
        errors: pending.map((p) => ({ field: p.field, message: 'upload its bytes and complete it, then cite it' })),
      });
    }
    return refs.map(({ file }) => ({ fileId: file.id, sha256: file.sha256!, fileName: file.fileName }));
  }

  /**
   * The local store's signed PUT (the token is the authority): writes the bytes of a PENDING file within its declared
   * size and type. The file stays PENDING: the client calls complete, which hashes what is stored.
   */
  async signedPut(token: string, contentType: string, body: AsyncIterable<Uint8Array>): Promise<{ size: number }> {
    const grant = this.grant(token, 'PUT');
    const file = await this.deps.store.getByKey(grant.key);
    if (!file) throw badSignedUrl();
    if (file.status === 'STORED') {
      throw new DomainError('FORBIDDEN', `file ${file.id} is already stored: its content cannot change`);
    }
    const given = essence(contentType);
    if (given !== grant.contentType) {
      throw new DomainError('FILE_TYPE_NOT_ALLOWED', `this upload URL is for ${grant.contentType}, not ${given}`, {
        errors: [{ field: 'content-type', message: `send Content-Type: ${grant.contentType}` }],
      });
    }
    const stored = await this.deps.storage
      .write(grant.key, body, { contentType: grant.contentType, maxBytes: grant.maxBytes })
      .catch((e: unknown) => {
        throw this.tooLarge(e, 'body');
      });
    return { size: stored.size };
  }

  /** The local store's signed GET: a STORED file's bytes, to anyone holding an unexpired token. */
  async signedGet(token: string): Promise<OpenedFile> {
    const grant = this.grant(token, 'GET');
    const file = await this.deps.store.getByKey(grant.key);
    if (!file || file.status !== 'STORED') throw badSignedUrl();
    return this.content(file);
  }

  private grant(token: string, method: 'GET' | 'PUT') {
    const grant = this.deps.storage.verifySignedUrl(String(token), method, this.deps.clock.now());
    if (!grant) throw badSignedUrl();
    return grant;
  }

  /**
   * Parties and admins only read files (a stranger gets 404; the service token, which may upload, 403); the vault's
   * own file is the secret deliverable, so its buyer gets it only once the vault is revealed.
   */
  private async readable(actor: Actor, escrowId: string, fileId?: string): Promise<void> {
    const { escrow } = await this.deps.escrows.get(actor, escrowId);
    if (actor.role !== 'user' && actor.role !== 'admin') {
      throw new DomainError('FORBIDDEN', "an escrow's files are readable only by its buyer, its seller and admins");
    }
    const v = escrow.vault;
    if (fileId && v?.file?.fileId === fileId && actor.id === escrow.buyerId && v.revealCount === 0) {
      throw new DomainError('FORBIDDEN', "this file is the vault's deliverable: it opens once the vault is revealed");
    }
  }

  /**
   * Uploads come from the escrow's parties, admins and the marketplace (service); a stranger learns nothing. The
   * upload route checks this before it reads a byte of the body.
   */
  async authorizeUpload(actor: Actor, escrowId: string): Promise<void> {
    await this.deps.escrows.get(actor, escrowId);
    if (actor.role !== 'user' && actor.role !== 'admin' && actor.role !== 'service') {
      throw new DomainError('FORBIDDEN', `a ${actor.role} caller may not upload files`);
    }
  }

  private async record(escrowId: string, fileId: string): Promise<EscrowFileRecord> {
    const file = isUuid(fileId) ? await this.deps.store.get(escrowId, fileId) : null;
    if (!file) throw fileNotFound(fileId, 'fileId');
    return file;
  }

  private async stored(escrowId: string, fileId: string): Promise<EscrowFileRecord> {
    const file = await this.record(escrowId, fileId);
    if (file.status !== 'STORED') {
      throw notUploaded(fileId, 'fileId', 'its upload was not completed: PUT the bytes, then complete it');
    }
    return file;
  }

  private async content(file: EscrowFileRecord): Promise<OpenedFile> {
    const read = await this.deps.storage.read(file.storageKey);
    if (!read) throw new DomainError('FILE_NOT_FOUND', `the content of file ${file.id} is missing from the store`);
    return { file: view(file), body: read.body, size: read.size };
  }

  private allowedType(contentType: string): string {
    const type = essence(contentType);
    const allowed = this.deps.limits.allowedTypes;
    if (!allowed.includes(type)) {
      throw new DomainError('FILE_TYPE_NOT_ALLOWED', `files of type ${type || '(none)'} are not accepted`, {
        errors: [{ field: 'contentType', message: `must be one of ${allowed.join(', ')}` }],
      });
    }
    return type;
  }

  /** FileTooLargeError as the FILE_TOO_LARGE problem naming the limit; any other error as it is. */
  private tooLarge(e: unknown, field: string): unknown {
    if (!(e instanceof FileTooLargeError)) return e;
    const limit = this.deps.limits.maxBytes;
    return new DomainError('FILE_TOO_LARGE', `${e.message}`, {
      errors: [{ field, message: `must be at most ${Math.min(limit, e.limitBytes)} bytes` }],
    });
  }
}

/** The record as clients see it (without its storage key). */
function view(f: EscrowFileRecord): EscrowFile {
  const { storageKey: _key, ...file } = f;
  return file;
}

/** A MIME type without its parameters, lower-cased: `Text/Plain; charset=utf-8` → `text/plain`. */
function essence(contentType: string): string {
  return String(contentType ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** The last part of a path as the name (clients send `C:\fakepath\x.pdf`), 1-255 characters, no control characters. */
export function cleanFileName(raw: string): string {
  const name = String(raw ?? '')
    .split(/[/\\]/)
    .at(-1)!
    .trim()
    .normalize('NFC');
  const rule = `must be a file name of 1-${FILE_NAME_MAX_LENGTH} characters without control characters`;
  if (CONTROL.test(name)) throw invalid('fileName', `${rule} (it has one)`);
  if (name.length === 0 || /^\.+$/.test(name)) throw invalid('fileName', `${rule} (e.g. invoice.pdf)`);
  if ([...name].length > FILE_NAME_MAX_LENGTH) throw invalid('fileName', rule);
  return name;
}

function purposeOf(purpose: FilePurpose | undefined): FilePurpose {
  if (purpose === undefined) return 'EVIDENCE';
  if (!FILE_PURPOSES.includes(purpose)) throw invalid('purpose', `must be one of ${FILE_PURPOSES.join(', ')}`);
  return purpose;
}

function fileNotFound(fileId: string, field: string): DomainError {
  return new DomainError('FILE_NOT_FOUND', `file ${String(fileId)} not found in this escrow`, {
    errors: [{ field, message: 'must be the id of a file of this escrow (GET /api/escrow/{id}/files lists them)' }],
  });
}

function notUploaded(fileId: string, field: string, message: string): DomainError {
  return new DomainError('FILE_NOT_UPLOADED', `file ${fileId} has no content yet`, {
    errors: [{ field, message }],
  });
}

function badSignedUrl(): DomainError {
  return new DomainError('FORBIDDEN', 'this signed URL is invalid or has expired: ask the API for a new one');
}
