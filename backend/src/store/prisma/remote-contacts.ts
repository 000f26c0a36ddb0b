import type { RemoteContactRecord } from '../records.js';
import type { RemoteContactsRepository } from '../repositories/remote-contacts.js';
import type { StoreContext } from './context.js';

type Row = { userId: string; siteId: string; network: string; address: string; deliveredSeq: number };
const toContact = ({ userId, siteId, network, address, deliveredSeq }: Row): RemoteContactRecord => ({
  userId,
  siteId,
  network,
  address,
  deliveredSeq,
});

/** Remote contacts on Prisma. */
export class PrismaRemoteContacts implements RemoteContactsRepository {
  constructor(private readonly ctx: StoreContext) {}

  async remoteContacts(network: string): Promise<RemoteContactRecord[]> {
    return (await this.ctx.db.remoteContact.findMany({ where: { network } })).map(toContact);
  }

  async findRemoteContact(siteId: string, network: string, address: string): Promise<RemoteContactRecord | null> {
    const row = await this.ctx.db.remoteContact.findUnique({
      where: { siteId_network_address: { siteId, network, address } },
    });
    return row && toContact(row);
  }

  async createRemoteContact(contact: {
    siteId: string;
    network: string;
    address: string;
    userId: string;
  }): Promise<RemoteContactRecord> {
    const { siteId, network, address, userId } = contact;
    try {
      await this.ctx.retryBusy(() =>
        this.ctx.db.$transaction([
          this.ctx.db.user.create({
            data: { id: userId, siteId, username: address, displayName: address, passwordHash: null },
          }),
          this.ctx.db.remoteContact.create({ data: { userId, siteId, network, address } }),
        ]),
      );
    } catch (err) {
      // Created meanwhile (a unique key): use that one.
      if ((err as { code?: string }).code !== 'P2002') throw err;
    }
    const found = await this.findRemoteContact(siteId, network, address);
    if (!found) throw new Error(`remote contact ${network}:${address} of site ${siteId} was not created`);
    return found;
  }

  async setRemoteDelivered(userId: string, seq: number): Promise<void> {
    await this.ctx.db.remoteContact.updateMany({
      where: { userId, deliveredSeq: { lt: seq } },
      data: { deliveredSeq: seq },
    });
  }
}
