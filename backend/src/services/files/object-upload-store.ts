import { PassThrough, Readable } from 'node:stream';
import { DataStore, ERRORS, Upload } from '@tus/utils';
import type { FileStorage } from './storage.js';

/** Bytes kept in memory before a piece is written out (S3 needs no minimum size for plain objects). */
const PIECE_BYTES = 8 * 1024 * 1024;

interface StagedInfo {
  id: string;
  size?: number;
  metadata?: Record<string, string | null>;
  creation_date: string;
}

const pieceName = (offset: number) => `p${String(offset).padStart(15, '0')}`;

/**
 * A tus data store on Parley's object storage, for clusters: an upload is an `info` object and
 * its pieces (`uploads/<id>/p<offset>`), each written as a plain object when it has arrived, so any
 * node can answer HEAD or continue with the next PATCH. `@tus/s3-store` would do the same with S3
 * multipart uploads, but needs ListParts, ListMultipartUploads and AbortMultipartUpload, which
 * S3-compatible test servers such as s3rver do not implement; plain objects work everywhere.
 */
export class ObjectUploadStore extends DataStore {
  constructor(
    private readonly storage: FileStorage,
    private readonly expirationMs: number,
  ) {
    super();
    this.extensions = ['creation', 'creation-with-upload', 'termination', 'expiration'];
  }

  private prefix(id: string) {
    if (!/^[\w-]+$/.test(id)) throw ERRORS.FILE_NOT_FOUND;
    return `uploads/${id}/`;
  }

  private async info(id: string): Promise<StagedInfo> {
    const stream = await this.storage.get(`${this.prefix(id)}info`);
    if (!stream) throw ERRORS.FILE_NOT_FOUND;
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as StagedInfo;
  }

  /** The pieces of an upload, in order, with their offsets. */
  private async pieces(id: string): Promise<{ key: string; offset: number }[]> {
    const prefix = this.prefix(id);
    return (await this.storage.list(prefix))
      .filter((key) => /\/p\d{15}$/.test(key))
      .map((key) => ({ key, offset: Number(key.slice(prefix.length + 1)) }))
      .sort((a, b) => a.offset - b.offset);
  }

  private async offset(id: string): Promise<number> {
    const pieces = await this.pieces(id);
    const last = pieces.at(-1);
    if (!last) return 0;
    return last.offset + ((await this.storage.size(last.key)) ?? 0);
  }

  override async create(upload: Upload): Promise<Upload> {
    upload.creation_date = upload.creation_date ?? new Date().toISOString();
    const info: StagedInfo = { id: upload.id, creation_date: upload.creation_date };
    if (upload.size !== undefined) info.size = upload.size;
    if (upload.metadata) info.metadata = upload.metadata;
    await this.storage.put(`${this.prefix(upload.id)}info`, Buffer.from(JSON.stringify(info)), 'application/json');
    return upload;
  }

  override async write(stream: Readable, id: string, offset: number): Promise<number> {
    const prefix = this.prefix(id);
    if (offset !== (await this.offset(id))) throw ERRORS.INVALID_OFFSET;
    let at = offset;
    let held: Buffer[] = [];
    let heldBytes = 0;
    const flush = async () => {
      if (heldBytes === 0) return;
      await this.storage.put(`${prefix}${pieceName(at)}`, Buffer.concat(held), 'application/octet-stream');
      at += heldBytes;
      held = [];
      heldBytes = 0;
    };
    try {
      for await (const chunk of stream) {
        held.push(chunk as Buffer);
        heldBytes += (chunk as Buffer).length;
        if (heldBytes >= PIECE_BYTES) await flush();
      }
    } finally {
      // What arrived before the client went away is kept: the next PATCH resumes after it.
      await flush();
    }
    return at;
  }

  override async getUpload(id: string): Promise<Upload> {
    const info = await this.info(id);
    return new Upload({
      id,
      size: info.size,
      offset: await this.offset(id),
      metadata: info.metadata,
      creation_date: info.creation_date,
      storage: { type: 'parley-object-storage', path: this.prefix(id) },
    });
  }

  /** The upload's bytes, piece after piece. */
  async read(id: string): Promise<Readable> {
    const pieces = await this.pieces(id);
    const out = new PassThrough();
    void (async () => {
      for (const piece of pieces) {
        const stream = await this.storage.get(piece.key);
        if (!stream) throw new Error(`upload piece ${piece.key} vanished`);
        for await (const chunk of stream) if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
      }
      out.end();
    })().catch((err: unknown) => out.destroy(err as Error));
    return out;
  }

  override async remove(id: string): Promise<void> {
    const keys = await this.storage.list(this.prefix(id));
    if (keys.length === 0) throw ERRORS.FILE_NOT_FOUND;
    // The info object last: an upload half removed is still found, and removed again, by the sweep.
    const info = `${this.prefix(id)}info`;
    await Promise.all(keys.filter((key) => key !== info).map((key) => this.storage.delete(key)));
    await this.storage.delete(info);
  }

  override getExpiration(): number {
    return this.expirationMs;
  }

  /** The ids of the uploads staged now. */
  async ids(): Promise<string[]> {
    return [...new Set((await this.storage.list('uploads/')).map((key) => key.split('/')[1]!))];
  }

  /** Removes uploads created more than the expiration period before `now`. */
  async deleteExpiredAt(now: Date): Promise<number> {
    let deleted = 0;
    for (const id of await this.ids()) {
      let created: number;
      try {
        created = Date.parse((await this.info(id)).creation_date);
      } catch {
        // Pieces without an info object: a removal that stopped halfway.
        created = 0;
      }
      if (Number.isNaN(created) || created + this.expirationMs < now.getTime()) {
        await Promise.all((await this.storage.list(this.prefix(id))).map((key) => this.storage.delete(key)));
        deleted++;
      }
    }
    return deleted;
  }

  override deleteExpired(): Promise<number> {
    return this.deleteExpiredAt(new Date());
  }
}
