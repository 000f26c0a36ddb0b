import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FileUrls } from '../../protocol/index.js';
import type { SiteRecord, StoredFileRecord } from '../../store/store.js';

/** What of a file a URL fetches: the stored file, or its thumbnail (images). */
export type FileVariant = 'original' | 'thumb';
export const FILE_VARIANTS: readonly FileVariant[] = ['original', 'thumb'];

/** Where a file is served, relative to the Parley server (the query carries the signature). */
export const filePath = (siteId: string, fileId: string, variant: FileVariant) =>
  `/api/v1/sites/${encodeURIComponent(siteId)}/files/${encodeURIComponent(fileId)}/${variant}`;

/** What a signed URL's query says, as the download route reads it. */
export interface SignedQuery {
  /** The conversation the URL was made for. */
  c: string;
  /** Expiry, in seconds since the epoch. */
  e: string;
  /** The signature (base64url HMAC-SHA256). */
  s: string;
}

export type UrlCheck = { ok: true; conversationId: string } | { ok: false; reason: 'invalid' | 'expired' };

/**
 * Short-lived download URLs, scoped to one conversation: the signature covers the site, the file,
 * the variant, the conversation and the expiry, so an `<img>` can load one without headers, and a
 * URL made for one conversation never opens another's file (the route also checks that the file
 * belongs to the conversation the URL names). Signed with PARLEY_SECRET when set, else the site's
 * own secret, which every node of a cluster shares through the database.
 */
export class FileUrlSigner {
  constructor(
    private readonly secret: string | null,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private sign(site: SiteRecord, fileId: string, variant: FileVariant, conversationId: string, expires: number) {
    return createHmac('sha256', this.secret ?? site.secret)
      .update(`parley-file\n${site.id}\n${fileId}\n${variant}\n${conversationId}\n${expires}`)
      .digest('base64url');
  }

  private url(site: SiteRecord, fileId: string, variant: FileVariant, conversationId: string, expires: number) {
    const query = new URLSearchParams({
      c: conversationId,
      e: String(expires),
      s: this.sign(site, fileId, variant, conversationId, expires),
    });
    return `${filePath(site.id, fileId, variant)}?${query}`;
  }

  /** URLs of a file for a member of `conversationId` (the caller has checked they may see it). */
  urlsFor(site: SiteRecord, file: StoredFileRecord, conversationId: string): FileUrls {
    const expires = Math.ceil((this.now() + this.ttlMs) / 1000);
    return {
      url: this.url(site, file.id, 'original', conversationId, expires),
      thumbUrl: file.hasThumb ? this.url(site, file.id, 'thumb', conversationId, expires) : null,
      expiresAt: new Date(expires * 1000).toISOString(),
    };
  }

  /** Checks a URL's query for `fileId`/`variant` of `site`: signed by us, and not expired. */
  check(
    site: SiteRecord,
    fileId: string,
    variant: FileVariant,
    query: Partial<Record<keyof SignedQuery, unknown>>,
  ): UrlCheck {
    const { c, e, s } = query;
    if (typeof c !== 'string' || typeof e !== 'string' || typeof s !== 'string')
      return { ok: false, reason: 'invalid' };
    if (c.length > 200 || !/^\d{1,12}$/.test(e) || s.length > 64) return { ok: false, reason: 'invalid' };
    const expected = Buffer.from(this.sign(site, fileId, variant, c, Number(e)));
    const given = Buffer.from(s);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid' };
    if (Number(e) * 1000 < this.now()) return { ok: false, reason: 'expired' };
    return { ok: true, conversationId: c };
  }
}
