// xmpp.js has no types: the declarations come with this file, so every project that compiles it
// (backend, e2e, bench) has them without listing them. An import cannot bring ambient ones.
// oxlint-disable-next-line typescript/triple-slash-reference
/// <reference path="./xmpp-modules.d.ts" />
import { xml, type Component, type Element } from '@xmpp/component';
import type { Transport, UserEvent } from '../../services/fanout.js';
import { ComponentLink, LinkLost } from './component-link.js';
import type { XmppGatewayDeps } from './deps.js';
import { GatewayContacts } from './contacts.js';
import { Inbound } from './inbound.js';
import { Outbound } from './outbound.js';
import { FEATURES, NS, presenceStanza } from './stanzas.js';

export type { XmppGatewayDeps } from './deps.js';

/**
 * The XMPP gateway: Parley as an external component of an XMPP server (Prosody), a second transport
 * beside Socket.IO. XMPP users become remote contacts (a User of the site each, see
 * RemoteContactsRepository), so the services treat them like anyone: stanzas from them become
 * the same service calls a widget's events do, and what the services tell them (through the
 * Fanout, as {@link Transport}) becomes stanzas. docs/xmpp.md has the mapping and the delivery
 * guarantees.
 *
 * Delivery to XMPP is durable: a remote contact's inbox is handed over from its `deliveredSeq`,
 * which moves only once the XMPP server has processed the stanzas (`ComponentLink.acknowledged`);
 * after a reconnect (or a Parley restart) the rest is sent again with the same stanza ids (the
 * Parley message id, also as XEP-0359 origin-id), so clients can drop a repeat. Stanzas from XMPP
 * are stored with their id as the message's clientId, so a repeat is stored once.
 *
 * This class wires the parts: the link (component-link.ts), who is who (contacts.ts), the way out
 * (outbound.ts) and the way in (inbound.ts).
 */
export class XmppGateway implements Transport {
  private readonly link: ComponentLink;
  private readonly domain: string;
  private readonly contacts: GatewayContacts;
  private readonly outbound: Outbound;
  private readonly inbound: Inbound;
  private readonly pending = new Set<Promise<unknown>>();
  private loaded: Promise<void> | null = null;
  private onlineWaiters: (() => void)[] = [];

  constructor(private readonly deps: XmppGatewayDeps) {
    this.domain = deps.config.domain;
    this.link = new ComponentLink(deps.config, deps.logger, {
      online: () => this.track(this.whenOnline(), 'catching up after connecting'),
      offline: () => this.inbound.wentOffline(),
      stanza: (stanza) => this.track(this.inbound.inOrder(stanza), 'handling a stanza', stanza),
    });
    this.contacts = new GatewayContacts(deps.store, this.domain, deps.limits.buddyRequests);
    const track = (task: Promise<unknown>, what: string) => this.track(task, what);
    this.outbound = new Outbound(deps, this.link, this.contacts, track);
    this.inbound = new Inbound(deps, this.link, this.contacts, this.domain);
    this.link.onIq((xmpp) => this.registerIq(xmpp));
  }

  /** Loads the remote contacts and connects (and keeps connecting) to the XMPP server. */
  start(): void {
    this.loaded = this.contacts.load();
    this.loaded.then(
      () => this.link.start(),
      (err: unknown) => this.deps.logger.error({ err }, 'could not load the XMPP contacts; the gateway stays off'),
    );
  }

  /** Whether the component is connected and authenticated now. */
  get online(): boolean {
    return this.link.online;
  }

  /** Resolves once online (tests, and a node that wants to wait for it). */
  waitOnline(): Promise<void> {
    if (this.link.online) return Promise.resolve();
    return new Promise((resolve) => this.onlineWaiters.push(resolve));
  }

  /** Resolves once nothing is being handed over or handled (tests wait for quiet). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async stop(): Promise<void> {
    await this.link.stop();
    this.inbound.wentOffline();
    await this.settled();
  }

  // ---------------------------------------------------------------------------------------------
  // Transport: what the services tell users, for the users who are remote contacts.

  deliver(userIds: readonly string[], event: UserEvent): void {
    for (const id of userIds) {
      const contact = this.contacts.ofUser(id);
      if (contact) this.track(this.outbound.tell(contact, event), 'telling an XMPP contact');
    }
  }

  /** Calls go to one device; an XMPP contact has none Parley can ring. */
  deliverTo(): void {}

  async connectionsOf(): Promise<string[]> {
    return [];
  }

  /** Remote contacts have no Parley sessions. */
  async endSessions(): Promise<void> {}

  /** Disco (XEP-0030) for the component and its users; ping. Everything else: service-unavailable. */
  private registerIq(xmpp: Component): void {
    const info = async (to: string | undefined): Promise<Element> => {
      if (to === this.domain) {
        return xml(
          'query',
          { xmlns: NS.discoInfo },
          xml('identity', { category: 'gateway', type: 'parley', name: 'Parley' }),
          ...FEATURES.map((f) => xml('feature', { var: f })),
        );
      }
      try {
        await this.contacts.resolveLocal(to);
      } catch {
        return xml('error', { type: 'cancel' }, xml('service-unavailable', { xmlns: NS.stanzas }));
      }
      return xml(
        'query',
        { xmlns: NS.discoInfo },
        xml('identity', { category: 'account', type: 'registered' }),
        ...FEATURES.map((f) => xml('feature', { var: f })),
      );
    };
    xmpp.iqCallee.get(NS.discoInfo, 'query', (ctx) => info(ctx.stanza.attrs.to?.split('/')[0]?.toLowerCase()));
    xmpp.iqCallee.get(NS.discoItems, 'query', () => xml('query', { xmlns: NS.discoItems }));
    // `true`: an empty result.
    xmpp.iqCallee.get(NS.ping, 'ping', () => true);
  }

  /** Connected (again): catch every contact's inbox up, and exchange presence with them. */
  private async whenOnline(): Promise<void> {
    for (const resolve of this.onlineWaiters.splice(0)) resolve();
    await this.loaded;
    const contacts = this.contacts.all();
    await Promise.all(
      contacts.map(async (contact) => {
        await this.outbound.pump(contact);
        const rows = await this.deps.relations.roster(contact.userId);
        for (const row of rows) {
          if (!row.mutual) continue;
          const from = await this.contacts.jidOfUser(row.buddy.id);
          if (!from) continue;
          const shown = await this.deps.presence.visible(row.buddy);
          await this.link.send(
            xml('presence', { type: 'probe', from, to: contact.address }),
            presenceStanza(from, contact.address, shown),
          );
        }
      }),
    );
  }

  private track(task: Promise<unknown>, what: string, stanza?: Element): void {
    const tracked = task
      .catch((err: unknown) =>
        // Offline meanwhile: the inbox is handed over again after the reconnect.
        this.link.online && !(err instanceof LinkLost)
          ? this.deps.logger.error({ err, stanza: stanza?.toString().slice(0, 500) }, `XMPP gateway: ${what} failed`)
          : this.deps.logger.debug({ err: (err as Error).message }, `XMPP gateway: ${what} interrupted`),
      )
      .finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }
}
