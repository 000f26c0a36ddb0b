import type { Readable } from 'node:stream';
import type { FilesConfig } from './files-config.js';
import { ParleyError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { ErrorCode, Limits, type ConversationKey } from '../../protocol/index.js';
import type { SiteRecord, Store, StoredFileRecord, UserRecord } from '../../store/store.js';
import type { Conversations } from '../conversations.js';
import { siteSettings } from '../site-settings.js';
import { inspectFile } from './inspect.js';
import type { StagingStore } from './staging.js';
import { storageKey, type FileStorage } from './storage.js';

const DAY_MS = 86_400_000;

/**
 * What the server keeps as an upload's tus metadata: written by the server from the checked
 * request (the uploader and site are never taken from the client's metadata).
 */
export interface UploadMetadata {
  site: string;
  owner: string;
  /** The stored conversation id the file may be sent in. */
  conversation: string;
  name: string;
  voice: '1' | '0';
  /** Audio only: the length the recorder measured, in ms ('' when not given). */
  durationMs: string;
}

/** The client's metadata, as tus decoded it (values may be null: keys without a value). */
export type ClientMetadata = Record<string, string | null> | undefined;

const badRequest = (message: string) => new ParleyError(ErrorCode.BadRequest, message);

/**
 * A file name as shown to others: its last path segment, without control or bidirectional
 * override characters, trimmed, at most Limits.fileName characters. Never used as a path.
 */
export function cleanFileName(raw: string): string {
  const base = raw.split(/[/\\]/).pop() ?? '';
  // Control characters (C0, DEL, C1) and the bidi overrides that make "exe.png" read as "gnp.exe".
  // oxlint-disable-next-line no-control-regex
  const cleaned = base.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f]/g, '').trim();
  const chars = [...cleaned];
  const short = chars.length > Limits.fileName ? chars.slice(0, Limits.fileName).join('') : cleaned;
  return short === '' || short === '.' || short === '..' ? 'file' : short;
}

/** `direct:<userId>` or `room:<roomId>`: the conversation an upload is for. */
function conversationKey(raw: string | null | undefined): ConversationKey {
  const match = /^(direct|room):([\w-]{1,64})$/.exec(raw ?? '');
  if (!match) throw badRequest('Upload-Metadata needs "conversation": direct:<userId> or room:<roomId>.');
  return { kind: match[1] as 'direct' | 'room', id: match[2]! };
}

export interface FilesDeps {
  store: Store;
  storage: FileStorage;
  staging: StagingStore;
  conversations: Conversations;
  config: FilesConfig;
  logger: Logger;
  now?: () => number;
}

/**
 * Pictures, files and voice messages: checks an upload before it starts (site limit, daily quota,
 * the conversation), turns a finished upload into a stored file (type from the bytes, images
 * re-encoded, see inspect.ts), serves stored bytes, and sweeps what nothing refers to.
 */
export class FileService {
  readonly storage: FileStorage;
  readonly staging: StagingStore;
  /** Uploads under way on this node: their size counts against the quota until they finish. */
  private readonly pending = new Map<string, { owner: string; size: number; at: number }>();
  private readonly now: () => number;

  constructor(private readonly deps: FilesDeps) {
    this.storage = deps.storage;
    this.staging = deps.staging;
    this.now = deps.now ?? Date.now;
  }

  /** The most bytes one file may have on `site`. */
  maxBytes(site: SiteRecord): number {
    return siteSettings(site).maxFileBytes;
  }

  /**
   * Checks a new upload: its length against the site's limit, the uploader's quota for the last 24
   * hours (stored files and uploads under way), and that they may send in the conversation named.
   * Returns the metadata to keep with it.
   */
  async prepareUpload(
    site: SiteRecord,
    user: UserRecord,
    id: string,
    length: number,
    client: ClientMetadata,
  ): Promise<UploadMetadata> {
    const max = this.maxBytes(site);
    if (length > max) {
      throw new ParleyError(ErrorCode.TooLarge, `The file is too large: at most ${max} bytes on this site.`);
    }
    if (length < 1) throw badRequest('The file is empty.');
    const name = cleanFileName(client?.name ?? '');
    const key = conversationKey(client?.conversation);
    const voice = client?.voice === '1';
    let durationMs = '';
    const rawDuration = client?.durationMs;
    if (rawDuration !== undefined && rawDuration !== null) {
      const n = Number(rawDuration);
      if (!/^\d{1,9}$/.test(rawDuration) || n < 1 || n > Limits.voiceMs + 1000) {
        throw badRequest(`"durationMs" must be a whole number of milliseconds from 1 to ${Limits.voiceMs + 1000}.`);
      }
      durationMs = String(n);
    }
    const conversation = await this.deps.conversations.conversationForUpload(site, user, key);
    const since = new Date(this.now() - DAY_MS);
    const stored = await this.deps.store.uploadedBytesSince(user.id, since);
    let underway = 0;
    for (const p of this.pending.values()) if (p.owner === user.id) underway += p.size;
    if (stored + underway + length > this.deps.config.dailyQuotaBytes) {
      throw new ParleyError(
        ErrorCode.QuotaExceeded,
        `Upload quota reached: ${Math.floor(this.deps.config.dailyQuotaBytes / 1024 / 1024)} MB a day. Try again later.`,
      );
    }
    this.pending.set(id, { owner: user.id, size: length, at: this.now() });
    return { site: site.id, owner: user.id, conversation, name, voice: voice ? '1' : '0', durationMs };
  }

  /** The upload is over (stored, refused or terminated): it no longer counts as under way. */
  settled(id: string): void {
    this.pending.delete(id);
  }

  /**
   * Turns a complete upload into a stored file: inspects its bytes, writes the original (and the
   * thumbnail) to the storage and inserts the record. On failure nothing stays behind but the
   * staged upload, which the caller removes.
   */
  async completeUpload(id: string, meta: UploadMetadata): Promise<StoredFileRecord> {
    const bytes = await collect(await this.staging.read(id));
    const durationMs = meta.durationMs === '' ? null : Number(meta.durationMs);
    const inspected = await inspectFile(bytes, { voice: meta.voice === '1', durationMs });
    const keys = [storageKey(meta.site, id, 'original'), storageKey(meta.site, id, 'thumb')];
    try {
      await this.storage.put(keys[0]!, inspected.bytes, inspected.mime);
      if (inspected.thumb) await this.storage.put(keys[1]!, inspected.thumb, 'image/webp');
      const file: StoredFileRecord = {
        id,
        siteId: meta.site,
        uploaderId: meta.owner,
        conversationId: meta.conversation,
        name: meta.name,
        mime: inspected.mime,
        size: inspected.bytes.length,
        media: inspected.media,
        width: inspected.width,
        height: inspected.height,
        durationMs: inspected.durationMs,
        voice: meta.voice === '1' && inspected.media === 'audio',
        hasThumb: inspected.thumb !== null,
        createdAt: new Date(this.now()),
      };
      await this.deps.store.createFile(file);
      this.deps.logger.info(
        { file: id, site: meta.site, user: meta.owner, media: file.media, mime: file.mime, size: file.size },
        'file stored',
      );
      return file;
    } catch (err) {
      // What was written of a refused file goes; a delete that fails is logged with its key.
      await Promise.all(
        keys.map((key) =>
          this.storage
            .delete(key)
            .catch((deleteErr: unknown) =>
              this.deps.logger.warn({ err: deleteErr, key }, 'could not remove part of a refused file'),
            ),
        ),
      );
      throw err;
    }
  }

  /** A stored file's record, when it belongs to `siteId`. */
  async file(siteId: string, id: string): Promise<StoredFileRecord | null> {
    const file = await this.deps.store.getFile(id);
    return file && file.siteId === siteId ? file : null;
  }

  /**
   * Removes uploads abandoned more than FILE_ORPHAN_HOURS before `now`, and stored files as old
   * that no message refers to (never sent, or their messages deleted by retention): the storage
   * objects first, then the record, so a record never points at nothing.
   */
  async sweep(now: Date = new Date(this.now())): Promise<{ uploads: number; files: number }> {
    const grace = this.deps.config.orphanGraceMs;
    const uploads = await this.staging.deleteExpiredAt(now);
    for (const [id, p] of this.pending) if (p.at + grace < now.getTime()) this.pending.delete(id);
    let files = 0;
    const before = new Date(now.getTime() - grace);
    for (;;) {
      const batch = await this.deps.store.unreferencedFiles(before, 100);
      for (const file of batch) {
        await this.storage.delete(storageKey(file.siteId, file.id, 'original'));
        await this.storage.delete(storageKey(file.siteId, file.id, 'thumb'));
        if (await this.deps.store.deleteUnreferencedFile(file.id)) files++;
      }
      if (batch.length < 100) break;
    }
    if (uploads > 0 || files > 0)
      this.deps.logger.info({ uploads, files }, 'removed abandoned uploads and unsent files');
    return { uploads, files };
  }

  /** Sweeps every `everyMs` (first after one period); returns a function that stops it. */
  schedule(everyMs: number): () => void {
    const timer = setInterval(() => {
      this.sweep().catch((err: unknown) => this.deps.logger.error({ err }, 'file sweep failed'));
    }, everyMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
