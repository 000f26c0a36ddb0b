/**
 * How Parley users are named on XMPP. One component domain serves every site; the site is in the
 * local part, after a `%` (the convention of XMPP gateways, XEP-0100: `user%host@gateway`):
 * `bob%shop@parley.example` is the user `bob` of the site `shop`. Usernames and site ids never hold
 * `%` or `@`, so the split is unambiguous, and a site turns XMPP on with a setting, with no change
 * to Prosody or DNS (one subdomain per site would need both for every new site).
 */

/** A bare JID's parts, lower-cased (node and domain are case-insensitive in XMPP). */
export interface Bare {
  local: string;
  domain: string;
}

/** The longest bare JID Parley keeps for a remote contact (it becomes their username). */
export const MAX_ADDRESS = 256;

const USERNAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const SITE = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** `local@domain/resource` → its bare JID, lower-cased; null for anything else. */
export function bareOf(jid: string | undefined): string | null {
  if (!jid) return null;
  const slash = jid.indexOf('/');
  const bare = (slash === -1 ? jid : jid.slice(0, slash)).toLowerCase();
  const at = bare.indexOf('@');
  if (at <= 0 || at === bare.length - 1 || bare.indexOf('@', at + 1) !== -1) return null;
  if (bare.length > MAX_ADDRESS || /[\s<>"'&]/.test(bare)) return null;
  return bare;
}

/** The JID of a Parley user on the gateway. */
export function localJid(domain: string, user: { username: string; siteId: string }): string {
  return `${user.username}%${user.siteId}@${domain}`;
}

/** The site and username a JID of the component names, or null when it names none (or the component itself). */
export function parseLocalJid(domain: string, jid: string | undefined): { siteId: string; username: string } | null {
  if (!jid) return null;
  const slash = jid.indexOf('/');
  const bare = (slash === -1 ? jid : jid.slice(0, slash)).toLowerCase();
  const at = bare.lastIndexOf('@');
  if (at <= 0 || bare.slice(at + 1) !== domain) return null;
  const local = bare.slice(0, at);
  const cut = local.lastIndexOf('%');
  if (cut <= 0) return null;
  const username = local.slice(0, cut);
  const siteId = local.slice(cut + 1);
  if (!USERNAME.test(username) || !SITE.test(siteId)) return null;
  return { siteId, username };
}
