import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SiteRecord } from '../store/store.js';

/**
 * Unsubscribe links work without signing in: they carry the user id and an HMAC of it, keyed by
 * PARLEY_SECRET when set, else by the user's site secret (which never leaves the server but for
 * the host's own backend). Nobody can make a link for someone else's address.
 */
export function unsubscribeToken(userId: string, site: SiteRecord, secret: string | null): string {
  return createHmac('sha256', secret ?? site.secret)
    .update(`parley-unsubscribe:${userId}`)
    .digest('base64url');
}

export function unsubscribeTokenValid(token: string, userId: string, site: SiteRecord, secret: string | null): boolean {
  const expected = Buffer.from(unsubscribeToken(userId, site, secret));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function unsubscribeUrl(publicUrl: string, userId: string, site: SiteRecord, secret: string | null): string {
  const query = new URLSearchParams({ u: userId, t: unsubscribeToken(userId, site, secret) });
  return `${publicUrl}/unsubscribe?${query}`;
}
