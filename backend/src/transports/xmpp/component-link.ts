// xmpp.js has no types: the declarations come with this file, so every project that compiles it
// (backend, e2e, bench) has them without listing them. An import cannot bring ambient ones.
// oxlint-disable-next-line typescript/triple-slash-reference
/// <reference path="./xmpp-modules.d.ts" />
import { component, xml, type Component, type Element } from '@xmpp/component';
import type { XmppConfig } from './xmpp-config.js';
import type { Logger } from '../../logger.js';

/** What the link tells the gateway. */
export interface LinkEvents {
  /** Authenticated with the XMPP server (again, after a reconnect). */
  online(): void;
  /** The connection is gone; the link is already trying again. */
  offline(): void;
  /** A stanza that is not an iq (iqs go to the handlers given to `onIq`). */
  stanza(stanza: Element): void;
}

/** The connection went away (or was not there): what was sent may or may not have been taken. */
export class LinkLost extends Error {
  constructor() {
    super('the XMPP component is offline');
  }
}

const MIN_DELAY_MS = 250;
const MAX_DELAY_MS = 30_000;
const CONNECT_TIMEOUT_MS = 10_000;
const ACK_TIMEOUT_MS = 10_000;

/**
 * Parley's connection to the XMPP server as an external component (XEP-0114), kept up: when the
 * server restarts or the connection drops, it connects again after a delay that doubles on each
 * failure (¼ s up to 30 s, with jitter, so many nodes do not hammer a server coming back) and
 * starts over at ¼ s once online. Each attempt is a fresh xmpp.js component: its own reconnect
 * gives up after one failed attempt.
 */
export class ComponentLink {
  private xmpp: Component | null = null;
  /** Rejects when the current connection is lost, so nothing waits on a dead one. */
  private gone: Promise<never> = new Promise<never>(() => {});
  private markGone: () => void = () => {};
  private delay = MIN_DELAY_MS;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private attempt = 0;
  /** Registers iq handlers on each new connection. */
  private readonly iqHandlers: ((xmpp: Component) => void)[] = [];
  online = false;

  constructor(
    private readonly config: XmppConfig,
    private readonly logger: Logger,
    private readonly events: LinkEvents,
  ) {}

  /** iq handlers (disco, ping), registered on every connection made from now on. */
  onIq(register: (xmpp: Component) => void): void {
    this.iqHandlers.push(register);
  }

  start(): void {
    void this.connect();
  }

  /**
   * Sends stanzas, in order. Rejects when offline or the connection fails meanwhile: the caller
   * keeps them to send again after the reconnect.
   */
  async send(...stanzas: Element[]): Promise<void> {
    const xmpp = this.xmpp;
    if (!this.online || !xmpp) throw new LinkLost();
    // One at a time: xmpp.js's send takes one element.
    for (const stanza of stanzas) await Promise.race([xmpp.send(stanza), this.gone]);
  }

  /**
   * Resolves once the XMPP server has processed everything this link sent before the call: a ping
   * to a host the server serves itself is answered only after the stanzas sent ahead of it on the
   * same stream were routed (components have no stream management, XEP-0198, to acknowledge them).
   */
  async acknowledged(): Promise<void> {
    const xmpp = this.xmpp;
    if (!this.online || !xmpp) throw new LinkLost();
    const to = this.config.serverDomain ?? this.config.domain.slice(this.config.domain.indexOf('.') + 1);
    await Promise.race([
      xmpp.iqCaller.request(
        xml('iq', { type: 'get', to, from: this.config.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })),
        ACK_TIMEOUT_MS,
      ),
      this.gone,
    ]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const xmpp = this.xmpp;
    this.xmpp = null;
    this.online = false;
    this.markGone();
    if (xmpp) await this.discard(xmpp);
  }

  private async discard(xmpp: Component): Promise<void> {
    xmpp.removeAllListeners();
    xmpp.on('error', () => {}); // late socket errors of a discarded connection
    try {
      await Promise.race([xmpp.stop(), new Promise((resolve) => setTimeout(resolve, 2000))]);
    } catch {
      // It was already broken; nothing more to close.
    }
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    const wait = Math.round(this.delay * (0.75 + Math.random() / 2));
    this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, wait);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const attempt = ++this.attempt;
    const { host, port, domain, secret } = this.config;
    const xmpp = component({ service: `xmpp://${host}:${port}`, domain, password: secret });
    xmpp.reconnect.stop(); // this link reconnects, with backoff
    this.xmpp = xmpp;
    xmpp.on('error', (err: Error) => {
      this.logger.warn({ err: err.message, domain }, 'XMPP component connection error');
    });
    xmpp.on('stanza', (stanza: Element) => {
      if (stanza.name !== 'iq') this.events.stanza(stanza);
    });
    xmpp.on('disconnect', () => this.lost(xmpp));
    xmpp.on('offline', () => this.lost(xmpp));
    for (const register of this.iqHandlers) register(xmpp);
    try {
      await Promise.race([
        xmpp.start(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), CONNECT_TIMEOUT_MS)),
      ]);
    } catch (err) {
      if (this.xmpp === xmpp && attempt === this.attempt) {
        this.logger.warn({ err: (err as Error).message, domain, host, port }, 'XMPP component could not connect');
        this.xmpp = null;
        void this.discard(xmpp);
        this.schedule();
      }
      return;
    }
    if (this.stopped || this.xmpp !== xmpp) return void this.discard(xmpp);
    this.gone = new Promise<never>((_, reject) => {
      this.markGone = () => reject(new LinkLost());
    });
    this.gone.catch(() => {}); // rejected on loss whether or not anyone waits on it
    this.online = true;
    this.delay = MIN_DELAY_MS;
    this.logger.info({ domain, host, port }, 'XMPP component online');
    this.events.online();
  }

  private lost(xmpp: Component): void {
    if (this.xmpp !== xmpp) return;
    this.xmpp = null;
    void this.discard(xmpp);
    if (this.online) {
      this.online = false;
      this.markGone();
      this.logger.warn({ domain: this.config.domain }, 'XMPP component offline; reconnecting');
      this.events.offline();
    }
    this.schedule();
  }
}
