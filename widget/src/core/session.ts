import { signal } from '@preact/signals-core';
import { PROTOCOL_VERSION } from '@parley/backend/protocol/constants';
import type {
  ErrorBody,
  HandshakeAuth,
  LoginResponse,
  Result,
  SessionEnded,
  SiteConfig,
} from '@parley/backend/protocol';
import type { Connection } from './connection.js';
import type { Lifecycle } from './feature.js';
import { fetchSiteConfig } from './site-config.js';
import { tokenKey as keyOf, tokenStore, type KeyValueStore, type TokenStorage } from './storage.js';

/** What the user is told when the server ends their session. */
const SESSION_ENDED: Record<SessionEnded['reason'], string> = {
  logout: 'You were signed out.',
  password_changed: 'Your password was changed. Please sign in again.',
  expired: 'Your session has ended. Please sign in again.',
  site_changed: 'This site’s chat settings changed. Please sign in again.',
  account_deleted: 'Your chat account was deleted.',
};

export interface SessionOptions {
  server: string;
  site: string;
  tokenStorage?: TokenStorage;
  /** The site's public settings when parley.js has already asked for them; otherwise `start` does. */
  siteConfig?: Promise<SiteConfig | null>;
}

/**
 * Who the user is to the server: the session token (kept where `tokenStorage` says), or a host
 * identity token until it has opened a session; sign-in, registration and sign-out over HTTP; the
 * site's public settings. `end` is called when the session is over (refused, ended, signed out).
 */
export type Session = ReturnType<typeof createSession>;

export function createSession(
  options: SessionOptions,
  connection: Connection,
  end: (problem: ErrorBody | null) => void,
  { onReady, onReset }: Lifecycle,
) {
  const siteConfig = signal<SiteConfig | null>(null);
  /** The last problem worth telling the user about (sign-in refused, server unreachable). */
  const problem = signal<ErrorBody | null>(null);
  const tokens: KeyValueStore = tokenStore(options.tokenStorage ?? 'local');
  const tokenKey = keyOf(options.site);
  let token = tokens.get(tokenKey);
  let identity: string | null = null;

  const api = (path: string) => `${options.server}/api/v1/sites/${encodeURIComponent(options.site)}${path}`;
  const auth = (): HandshakeAuth =>
    identity
      ? { v: PROTOCOL_VERSION, site: options.site, identity }
      : { v: PROTOCOL_VERSION, site: options.site, token: token ?? '' };
  const connect = () => connection.open(auth());
  const keep = (value: string) => {
    token = value;
    identity = null;
    tokens.set(tokenKey, value);
  };

  async function signIn(path: string, body: unknown): Promise<boolean> {
    problem.value = null;
    let result: Result<LoginResponse>;
    try {
      const response = await fetch(api(path), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      result = (await response.json()) as Result<LoginResponse>;
    } catch {
      problem.value = { code: 'unavailable', message: 'The chat server cannot be reached.' };
      return false;
    }
    if (!result.ok) {
      problem.value = result.error;
      return false;
    }
    keep(result.data.token);
    connect();
    return true;
  }

  connection.on('session:ended', ({ reason }) =>
    end({ code: 'unauthorized', message: SESSION_ENDED[reason] ?? SESSION_ENDED.logout }),
  );
  // Signed in with an identity token: keep the session it opened for reconnects.
  onReady((ready) => {
    problem.value = null;
    if (!ready.session) return;
    keep(ready.session.token);
    connection.setAuth(auth());
  });
  onReset((reason) => {
    token = null;
    identity = null;
    tokens.remove(tokenKey);
    problem.value = reason;
  });

  return {
    siteConfig,
    problem,
    /** The session token (uploads send it as a bearer token); null before sign-in. */
    sessionToken: (): string | null => token,
    /** Loads the site's public settings and reconnects a remembered session, if there is one. */
    start(): void {
      void (options.siteConfig ?? fetchSiteConfig(options.server, options.site)).then((config) => {
        if (config) siteConfig.value = config;
      });
      if (token) connect();
    },
    login: (username: string, password: string): Promise<boolean> => signIn('/sessions', { username, password }),
    register: (username: string, password: string, displayName: string): Promise<boolean> =>
      signIn('/users', { username, password, ...(displayName.trim() ? { displayName } : {}) }),
    /** Silent sign-in with a token the host site's server signed. */
    loginWithIdentity(value: string): void {
      identity = value;
      token = null;
      connect();
    },
    /** Ends the session here, then revokes it on the server. */
    async logout(): Promise<void> {
      const revoked = token;
      end(null);
      if (revoked) {
        await fetch(api('/sessions/current'), {
          method: 'DELETE',
          headers: { authorization: `Bearer ${revoked}` },
        }).catch((err: unknown) => console.warn('[Parley] sign-out could not reach the server', err));
      }
    },
  };
}
