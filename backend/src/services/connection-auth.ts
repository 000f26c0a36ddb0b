import { ErrorCode } from '../protocol/index.js';
import { ParleyError } from '../errors.js';
import type { RosterRow, SiteRecord, Store, UserRecord } from '../store/store.js';
import { sessionIdOf, type Accounts } from './accounts.js';
import { assertDemoReachable } from './demo-access.js';
import type { Relations } from './relations.js';
import { originAllowed } from './site-origins.js';

/** What a connecting client presents, whatever its transport. */
export interface ConnectionRequest {
  siteId: string;
  /** A Parley session token, or a host identity token (signs in and opens a session). */
  credential: { token: string } | { identity: string };
  /** The browser's Origin; undefined for clients that are not browsers. */
  origin: string | undefined;
  /** The client's address (after trusted proxies), for per-address limits and the demo's reach. */
  address: string;
}

/** Who connected, and what the transport keeps for the connection's life. */
export interface AcceptedConnection {
  site: SiteRecord;
  user: UserRecord;
  sessionId: string;
  sessionExpiresAt: Date;
  origin: string | null;
  /** Set when an identity token opened a session: the client keeps it to reconnect. */
  openedSession: { token: string; expiresAt: string } | null;
  /**
   * What the admission read along the way that the session's first message needs (a connect with
   * a stored session reads roster and inbox head in its one statement); null when it did not.
   * Hand it on once and drop it: it is not worth keeping for the connection's life.
   */
  preloaded: { roster: RosterRow[]; inboxHead: number } | null;
}

/**
 * Admits connections for any transport: a known site, reachable from this client (the demo site
 * only from this machine unless opened), an Origin the site allows, a live session of that site or
 * a valid identity token signed by it (counted against the sign-in limit per address), and fewer
 * open connections than the user may hold. The cap is checked before an identity token opens a
 * session, so a refused connection leaves nothing behind. Throws a ParleyError with the code a
 * client is told. A connect with a stored session costs one round trip to the store.
 */
export class ConnectionAuth {
  constructor(
    private readonly store: Store,
    private readonly accounts: Accounts,
    /** Primed with the roster and room peers a connect read, so its presence fan-out needs no query. */
    private readonly relations: Relations,
    private readonly guard: {
      /** Takes one identity sign-in from an address (LOGIN_RATE_ADDRESS); false when over. */
      signInAllowed: (address: string) => Promise<boolean>;
      tooManyConnections: (userId: string) => Promise<boolean>;
      /** PARLEY_DEMO=1: the demo site answers any address (else loopback only). */
      demoOpen: boolean;
    },
  ) {}

  async admit(request: ConnectionRequest): Promise<AcceptedConnection> {
    const { credential } = request;
    if ('identity' in credential) return this.admitIdentity(request, credential.identity);
    // One round trip: site, session, user, roster, room peers and inbox head. The checks below
    // still run in the order a client is told about them: site, reach, origin, session, cap.
    const since = this.relations.mark();
    const found = await this.accounts.readConnection(request.siteId, credential.token);
    const site = this.checkSite(found.site, request);
    const { user, session } = this.accounts.live(site.id, found);
    await this.capped(user.id);
    if (found.roster && found.roomPeers) this.relations.prime(user.id, found.roster, found.roomPeers, since);
    return {
      site,
      user,
      sessionId: session.id,
      sessionExpiresAt: session.expiresAt,
      origin: request.origin ?? null,
      openedSession: null,
      preloaded: found.roster ? { roster: found.roster, inboxHead: found.inboxHead } : null,
    };
  }

  private async admitIdentity(request: ConnectionRequest, token: string): Promise<AcceptedConnection> {
    const site = this.checkSite(await this.store.getSite(request.siteId), request);
    if (!(await this.guard.signInAllowed(request.address))) {
      throw new ParleyError(ErrorCode.RateLimited, 'Too many sign-in attempts. Wait a minute and try again.');
    }
    const user = await this.accounts.identify(site, token);
    await this.capped(user.id);
    const opened = await this.accounts.openSession(user);
    return {
      site,
      user,
      sessionId: sessionIdOf(opened.token),
      sessionExpiresAt: new Date(opened.expiresAt),
      origin: request.origin ?? null,
      openedSession: { token: opened.token, expiresAt: opened.expiresAt },
      preloaded: null,
    };
  }

  /** The site, if it exists, this client may reach it, and its Origin is one the site allows. */
  private checkSite(site: SiteRecord | null, request: ConnectionRequest): SiteRecord {
    if (!site) throw new ParleyError(ErrorCode.NotFound, 'Unknown site.');
    assertDemoReachable(site.id, request.address, this.guard.demoOpen);
    const { origin } = request;
    if (origin !== undefined && !originAllowed(origin, site.origins)) {
      throw new ParleyError(ErrorCode.OriginNotAllowed, `Origin ${origin} is not allowed for this site.`);
    }
    return site;
  }

  private async capped(userId: string): Promise<void> {
    if (await this.guard.tooManyConnections(userId)) {
      throw new ParleyError(ErrorCode.RateLimited, 'Too many open connections for this user. Close some tabs.');
    }
  }
}
