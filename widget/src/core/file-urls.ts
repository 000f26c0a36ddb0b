import type { FileUrls } from '@parley/backend/protocol';
import type { Request } from './connection.js';
import { conversationKey } from './conversations.js';

/** Signed file URLs made absolute (they come relative to the Parley server). */
export interface ResolvedFileUrls {
  url: string;
  thumbUrl: string | null;
  expiresAt: number;
}

/** Asked again this long before they expire, so a URL handed out still works when it is used. */
const MARGIN_MS = 60_000;

/**
 * `file:urls`, cached per conversation and file until shortly before the URLs expire (15 min).
 * `fresh` asks again regardless (an `<img>` failed to load: the URL may have expired while shown).
 */
export function createFileUrls(server: string, request: Request) {
  const cache = new Map<string, Promise<ResolvedFileUrls>>();
  const resolve = (urls: FileUrls): ResolvedFileUrls => ({
    url: new URL(urls.url, server).href,
    thumbUrl: urls.thumbUrl ? new URL(urls.thumbUrl, server).href : null,
    expiresAt: Date.parse(urls.expiresAt),
  });
  return {
    get(key: string, fileId: string, fresh = false): Promise<ResolvedFileUrls> {
      const id = `${key}\n${fileId}`;
      const cached = cache.get(id);
      if (cached && !fresh) {
        return cached.then((urls) => (urls.expiresAt - MARGIN_MS > Date.now() ? urls : this.get(key, fileId, true)));
      }
      const asked = request('file:urls', { in: conversationKey(key), fileId }).then(resolve);
      cache.set(id, asked);
      // A refusal or a lost connection is not kept: the next view asks again.
      asked.catch(() => cache.get(id) === asked && cache.delete(id));
      return asked;
    },
    clear(): void {
      cache.clear();
    },
  };
}
export type FileUrlsCache = ReturnType<typeof createFileUrls>;
