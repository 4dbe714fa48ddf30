/** What an escrow's file is for: evidence in a dispute, the contract, or the goods delivered. */
export type FilePurpose = 'EVIDENCE' | 'CONTRACT' | 'DELIVERABLE';

export const FILE_PURPOSES: readonly FilePurpose[] = ['EVIDENCE', 'CONTRACT', 'DELIVERABLE'];

/**
 * A file owned by an escrow (escrow_files, migration 013). PENDING: announced by a presigned upload, its bytes not
 * hashed yet (size is the declared one, sha256 null); STORED: the bytes are in the store and sha256 is theirs.
 */
export interface EscrowFile {
  id: string;
  escrowId: string;
  purpose: FilePurpose;
  fileName: string;
  contentType: string;
  size: number | null;
  sha256: string | null;
  status: 'PENDING' | 'STORED';
  uploadedBy: string;
  createdAt: string;
  storedAt: string | null;
}

/** A file record with where its bytes live (never shown to clients). */
export interface EscrowFileRecord extends EscrowFile {
  storageKey: string;
}

export interface FileActor {
  id: string;
  role: string;
}

/** A new record: STORED (its bytes are written and hashed) or PENDING (a presigned upload). */
export interface NewEscrowFile {
  id: string;
  escrowId: string;
  purpose: FilePurpose;
  fileName: string;
  contentType: string;
  size: number | null;
  sha256: string | null;
  status: 'PENDING' | 'STORED';
  storageKey: string;
  actor: FileActor;
  at: string;
}

export interface FileStoredChange {
  escrowId: string;
  fileId: string;
  size: number;
  sha256: string;
  actor: FileActor;
  at: string;
}

/**
 * The records of escrows' files. Every change writes its audit_logs row (escrow_id, actor, action FileUploaded or
 * FileStored, details {fileId, fileName, sha256, size, contentType, purpose, status}) in the same transaction.
 */
export interface FileRecordStore {
  /** Inserts the record, audited as FileUploaded. */
  insert(file: NewEscrowFile): Promise<EscrowFileRecord>;
  /**
   * Marks a PENDING file STORED with its size and hash, audited as FileStored; a file already STORED is answered as
   * it is (changed false, nothing written); null when the escrow has no such file.
   */
  markStored(change: FileStoredChange): Promise<{ file: EscrowFileRecord; changed: boolean } | null>;
  /** The escrow's file, or null (a file of another escrow is null too). */
  get(escrowId: string, fileId: string): Promise<EscrowFileRecord | null>;
  /** The file whose bytes live under storageKey (signed URLs name keys), or null. */
  getByKey(storageKey: string): Promise<EscrowFileRecord | null>;
  /** Those of the ids that are files of the escrow, in one query, in no particular order. Ids must be UUIDs. */
  getMany(escrowId: string, fileIds: readonly string[]): Promise<EscrowFileRecord[]>;
  /** The escrow's files, oldest first. */
  list(escrowId: string): Promise<EscrowFileRecord[]>;
}
