import type { StoredFileRecord } from '../records.js';

/** Stored files: their records only; the bytes live in the file storage (services/files/). */
export interface FilesRepository {
  createFile(file: StoredFileRecord): Promise<void>;
  getFile(id: string): Promise<StoredFileRecord | null>;
  /** Whether a message of `conversationId` refers to the file (it was sent there). */
  fileSentIn(fileId: string, conversationId: string): Promise<boolean>;
  /** Bytes of the files `uploaderId` stored since `since`: the daily quota counts them. */
  uploadedBytesSince(uploaderId: string, since: Date): Promise<number>;
  /** Files created before `before` that no message refers to (never sent, or their messages deleted), oldest first. */
  unreferencedFiles(before: Date, limit: number): Promise<StoredFileRecord[]>;
  /** Deletes the record, but only while no message refers to it; returns whether it did. */
  deleteUnreferencedFile(id: string): Promise<boolean>;
}
