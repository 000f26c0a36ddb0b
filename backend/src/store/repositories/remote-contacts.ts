import type { RemoteContactRecord } from '../records.js';

/**
 * Contacts from other IM networks (XMPP through the gateway): each is a User of its site, and this
 * says where they live and how far the gateway has handed their inbox over to their network.
 */
export interface RemoteContactsRepository {
  /** Every remote contact of a network (the gateway keeps them in memory: few, and small). */
  remoteContacts(network: string): Promise<RemoteContactRecord[]>;
  findRemoteContact(siteId: string, network: string, address: string): Promise<RemoteContactRecord | null>;
  /**
   * Creates the contact and its user in one transaction (username = the address); if another
   * node or call created it meanwhile, resolves with that one.
   */
  createRemoteContact(contact: {
    siteId: string;
    network: string;
    address: string;
    userId: string;
  }): Promise<RemoteContactRecord>;
  /** Moves the handed-over position forward (never back). */
  setRemoteDelivered(userId: string, seq: number): Promise<void>;
}
