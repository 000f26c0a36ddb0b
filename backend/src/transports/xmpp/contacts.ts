import { timeOrderedId } from '../../ids.js';
import type { Limiter } from '../../services/rate-limiter.js';
import { siteSettings } from '../../services/site-settings.js';
import type { RemoteContactRecord, SiteRecord, Store, UserRecord } from '../../store/store.js';
import { localJid, parseLocalJid } from './addresses.js';
import { NETWORK, take, unavailable } from './stanzas.js';

/** A stanza's addressee: a Parley user of a site with XMPP on. */
export type Resolved = { site: SiteRecord; local: UserRecord };

/**
 * Who is who on the gateway: the remote contacts (every one there is: few, and small), kept by
 * user id and by address, and the JIDs of the site's own users.
 */
export class GatewayContacts {
  private readonly byUser = new Map<string, RemoteContactRecord>();
  private readonly byAddress = new Map<string, RemoteContactRecord>();

  constructor(
    private readonly store: Store,
    private readonly domain: string,
    /** New contacts per XMPP domain are limited like buddy requests. */
    private readonly buddyRequests: Limiter,
  ) {}

  /** Loads every remote contact of the network. */
  async load(): Promise<void> {
    for (const c of await this.store.remoteContacts(NETWORK)) this.remember(c);
  }

  /** The remote contact that is this user, if they are one. */
  ofUser(userId: string): RemoteContactRecord | undefined {
    return this.byUser.get(userId);
  }

  /** The remote contact at this address on the site, if known. */
  atAddress(siteId: string, address: string): RemoteContactRecord | undefined {
    return this.byAddress.get(`${siteId}|${address}`);
  }

  all(): RemoteContactRecord[] {
    return [...this.byUser.values()];
  }

  /**
   * The Parley user a JID of the component names, on a site that has XMPP on. Anything else (no
   * such site or user, XMPP off, a remote contact's own user) is `service-unavailable`, the same
   * for all, so nobody learns who exists.
   */
  async resolveLocal(to: string | undefined): Promise<Resolved> {
    const named = parseLocalJid(this.domain, to);
    if (!named) throw unavailable();
    const site = await this.store.getSite(named.siteId);
    if (!site || !siteSettings(site).xmpp) throw unavailable();
    const local = await this.store.findUserByUsername(site.id, named.username);
    if (!local || this.byUser.has(local.id)) throw unavailable();
    return { site, local };
  }

  /** The remote contact for this address on the site, created on first need. */
  async contact(site: SiteRecord, address: string, create: boolean): Promise<UserRecord | null> {
    let contact = this.byAddress.get(`${site.id}|${address}`) ?? null;
    if (!contact) {
      contact = await this.store.findRemoteContact(site.id, NETWORK, address);
      if (!contact && create) {
        // New users per XMPP domain are rate limited like buddy requests: one server's users (or
        // one spammer's made-up addresses) cannot fill a site with contacts.
        const domain = address.slice(address.indexOf('@') + 1);
        await take(this.buddyRequests, `xmpp-domain:${domain}`);
        contact = await this.store.createRemoteContact({
          siteId: site.id,
          network: NETWORK,
          address,
          userId: timeOrderedId(),
        });
      }
      if (!contact) return null;
      this.remember(contact);
    }
    return this.store.getUser(contact.userId);
  }

  remember(contact: RemoteContactRecord): void {
    const known = this.byUser.get(contact.userId);
    if (known) return;
    this.byUser.set(contact.userId, contact);
    this.byAddress.set(`${contact.siteId}|${contact.address}`, contact);
  }

  async siteOn(siteId: string): Promise<boolean> {
    const site = await this.store.getSite(siteId);
    return site !== null && siteSettings(site).xmpp;
  }

  private readonly jids = new Map<string, string | null>();

  /** A Parley user's JID on the gateway (null for remote contacts and unknown ids). */
  async jidOfUser(userId: string): Promise<string | null> {
    if (this.byUser.has(userId)) return null;
    const known = this.jids.get(userId);
    if (known !== undefined) return known;
    const user = await this.store.getUser(userId);
    const jid = user ? localJid(this.domain, user) : null;
    this.jids.set(userId, jid);
    if (this.jids.size > 50_000) this.jids.delete(this.jids.keys().next().value!);
    return jid;
  }
}
