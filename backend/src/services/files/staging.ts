import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { FileStore } from '@tus/file-store';
import type { DataStore } from '@tus/utils';
import { ObjectUploadStore } from './object-upload-store.js';
import type { FilesConfig } from './files-config.js';
import { LocalFileStorage, S3FileStorage, s3Client, type FileStorage } from './storage.js';

/**
 * Where tus uploads wait until their last byte: a tus data store, plus what Parley needs of it
 * besides tus (reading an upload back, and removing abandoned ones as of a chosen time).
 */
export interface StagingStore {
  /** The tus data store the upload server writes to. */
  readonly tus: DataStore;
  read(id: string): Promise<Readable>;
  remove(id: string): Promise<void>;
  /** Removes uploads created more than the expiration period before `now`; returns how many. */
  deleteExpiredAt(now: Date): Promise<number>;
  /** Ids of the uploads staged now (tests look for leftovers). */
  list(): Promise<string[]>;
}

/** Staging in a folder of this machine (one node): `@tus/file-store`. */
class LocalStaging implements StagingStore {
  readonly tus: FileStore;
  constructor(directory: string, expirationMs: number) {
    this.tus = new FileStore({ directory, expirationPeriodInMilliseconds: expirationMs });
  }

  async read(id: string): Promise<Readable> {
    return this.tus.read(id);
  }

  remove(id: string): Promise<void> {
    return this.tus.remove(id);
  }

  async list(): Promise<string[]> {
    return (await this.tus.configstore.list?.()) ?? [];
  }

  /** FileStore's own deleteExpired, with the time given (its info files keep the creation date). */
  async deleteExpiredAt(now: Date): Promise<number> {
    let deleted = 0;
    for (const id of await this.list()) {
      const info = await this.tus.configstore.get(id).catch(() => undefined);
      const created = info?.creation_date ? Date.parse(info.creation_date) : Number.NaN;
      if (Number.isNaN(created) || created + this.tus.getExpiration() < now.getTime()) {
        // When the data file is gone already, its info file is what is left.
        await this.tus.remove(id).catch(() => this.tus.configstore.delete(id));
        deleted++;
      }
    }
    return deleted;
  }
}

/** Staging on the object storage, so any node of a cluster can continue an upload. */
class ObjectStaging implements StagingStore {
  readonly tus: ObjectUploadStore;
  constructor(storage: FileStorage, expirationMs: number) {
    this.tus = new ObjectUploadStore(storage, expirationMs);
  }
  read(id: string) {
    return this.tus.read(id);
  }
  remove(id: string) {
    return this.tus.remove(id);
  }
  deleteExpiredAt(now: Date) {
    return this.tus.deleteExpiredAt(now);
  }
  list() {
    return this.tus.ids();
  }
}

export function localStaging(directory: string, expirationMs: number): StagingStore {
  return new LocalStaging(directory, expirationMs);
}

export function objectStaging(storage: FileStorage, expirationMs: number): StagingStore {
  return new ObjectStaging(storage, expirationMs);
}

/**
 * The storage and the upload staging of a configuration: local disk (files under
 * `<FILE_DIR>/files`, uploads under `<FILE_DIR>/uploads`) or S3 (both in the bucket).
 */
export function openFileStores(config: FilesConfig): { storage: FileStorage; staging: StagingStore } {
  if (config.storage === 's3') {
    if (!config.s3) throw new Error('FILE_STORAGE=s3 needs the S3_* settings');
    const storage = new S3FileStorage(s3Client(config.s3), config.s3);
    return { storage, staging: objectStaging(storage, config.orphanGraceMs) };
  }
  return {
    storage: new LocalFileStorage(config.localDir),
    staging: localStaging(join(config.localDir, 'uploads'), config.orphanGraceMs),
  };
}
