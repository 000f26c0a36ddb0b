import { ErrorCode } from '../protocol/index.js';
import { ParleyError } from '../errors.js';
import type { SiteRecord, Store, UserRecord } from '../store/store.js';
import { sessionIdOf, type Accounts } from './accounts.js';
import { assertDemoReachable } from './demo-access.js';
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
}

/**
 * Admits connections for any transport: a known site, reachable from this client (the demo site
 * only from this machine unless opened), an Origin the site allows, a live session of that site or
 * a valid identity token signed by it (counted against the sign-in limit per address), and fewer
 * open connections than the user may hold. The cap is checked before an identity token opens a
 * session, so a refused connection leaves nothing behind. Throws a ParleyError with the code a
 * client is told.
 */
export class ConnectionAuth {
  constructor(
    private readonly store: Store,
    private readonly accounts: Accounts,
    private readonly guard: {
      /** Takes one identity sign-in from an address (LOGIN_RATE_ADDRESS); false when over. */
      signInAllowed: (address: string) => Promise<boolean>;
      tooManyConnections: (userId: string) => Promise<boolean>;
      /** PARLEY_DEMO=1: the demo site answers any address (else loopback only). */
      demoOpen: boolean;
    },
  ) {}

  async admit(request: ConnectionRequest): Promise<AcceptedConnection> {
    const site = await this.store.getSite(request.siteId);
    if (!site) throw new ParleyError(ErrorCode.NotFound, 'Unknown site.');
    assertDemoReachable(site.id, request.address, this.guard.demoOpen);
    const { origin } = request;
    if (origin !== undefined && !originAllowed(origin, site.origins)) {
      throw new ParleyError(ErrorCode.OriginNotAllowed, `Origin ${origin} is not allowed for this site.`);
    }
    const capped = async (userId: string) => {
      if (await this.guard.tooManyConnections(userId)) {
        throw new ParleyError(ErrorCode.RateLimited, 'Too many open connections for this user. Close some tabs.');
      }
    };
    if ('identity' in request.credential) {
      if (!(await this.guard.signInAllowed(request.address))) {
        throw new ParleyError(ErrorCode.RateLimited, 'Too many sign-in attempts. Wait a minute and try again.');
      }
      const user = await this.accounts.identify(site, request.credential.identity);
      await capped(user.id);
      const opened = await this.accounts.openSession(user);
      return {
        site,
        user,
        sessionId: sessionIdOf(opened.token),
        sessionExpiresAt: new Date(opened.expiresAt),
        origin: origin ?? null,
        openedSession: { token: opened.token, expiresAt: opened.expiresAt },
      };
    }
    const { user, session } = await this.accounts.authenticate(site.id, request.credential.token);
    await capped(user.id);
    return {
      site,
      user,
      sessionId: session.id,
      sessionExpiresAt: session.expiresAt,
      origin: origin ?? null,
      openedSession: null,
    };
  }
}
