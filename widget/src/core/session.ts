import { signal } from '@preact/signals-core';
import {
  PROTOCOL_VERSION,
  type ErrorBody,
  type HandshakeAuth,
  type LoginResponse,
  type Result,
  type SessionEnded,
  type SessionReady,
  type SiteConfig,
} from '@parley/backend/protocol';
import type { Connection } from './connection.js';
import { tokenStore, type KeyValueStore, type TokenStorage } from './storage.js';

/** What the user is told when the server ends their session. */
const SESSION_ENDED: Record<SessionEnded['reason'], string> = {
  logout: 'You were signed out.',
  password_changed: 'Your password was changed. Please sign in again.',
  expired: 'Your session has ended. Please sign in again.',
  site_changed: 'This site’s chat settings changed. Please sign in again.',
};

export interface SessionOptions {
  server: string;
  site: string;
  tokenStorage?: TokenStorage;
}

/**
 * Who the user is to the server: the session token (kept where `tokenStorage` says), or a host
 * identity token until it has opened a session; sign-in, registration and sign-out over HTTP; the
 * site's public settings. `end` is called when the session is over (refused, ended, signed out).
 */
export class Session {
  readonly siteConfig = signal<SiteConfig | null>(null);
  /** The last problem worth telling the user about (sign-in refused, server unreachable). */
  readonly problem = signal<ErrorBody | null>(null);
  private readonly tokens: KeyValueStore;
  private readonly tokenKey: string;
  private token: string | null;
  private identity: string | null = null;

  constructor(
    private readonly options: SessionOptions,
    private readonly connection: Connection,
    private readonly end: (problem: ErrorBody | null) => void,
  ) {
    this.tokens = tokenStore(options.tokenStorage ?? 'local');
    this.tokenKey = `parley:${options.site}:token`;
    this.token = this.tokens.get(this.tokenKey);
    connection.on('session:ended', ({ reason }) =>
      end({ code: 'unauthorized', message: SESSION_ENDED[reason] ?? SESSION_ENDED.logout }),
    );
  }

  private api(path: string): string {
    return `${this.options.server}/api/v1/sites/${encodeURIComponent(this.options.site)}${path}`;
  }

  /** Loads the site's public settings and reconnects a remembered session, if there is one. */
  start(): void {
    fetch(this.api('/config'))
      .then((r) => r.json() as Promise<Result<SiteConfig>>)
      .then((result) => {
        if (result.ok) this.siteConfig.value = result.data;
        else console.error(`[Parley] ${result.error.code}: ${result.error.message}`);
      })
      .catch((err: unknown) => console.error('[Parley] cannot reach the chat server', err));
    if (this.token) this.connect();
  }

  readonly login = (username: string, password: string): Promise<boolean> =>
    this.signIn('/sessions', { username, password });

  readonly register = (username: string, password: string, displayName: string): Promise<boolean> =>
    this.signIn('/users', { username, password, ...(displayName.trim() ? { displayName } : {}) });

  /** Silent sign-in with a token the host site's server signed. */
  readonly loginWithIdentity = (identity: string): void => {
    this.identity = identity;
    this.token = null;
    this.connect();
  };

  private async signIn(path: string, body: unknown): Promise<boolean> {
    this.problem.value = null;
    let result: Result<LoginResponse>;
    try {
      const response = await fetch(this.api(path), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      result = (await response.json()) as Result<LoginResponse>;
    } catch {
      this.problem.value = { code: 'unavailable', message: 'The chat server cannot be reached.' };
      return false;
    }
    if (!result.ok) {
      this.problem.value = result.error;
      return false;
    }
    this.keep(result.data.token);
    this.connect();
    return true;
  }

  /** Ends the session here, then revokes it on the server. */
  readonly logout = async (): Promise<void> => {
    const token = this.token;
    this.end(null);
    if (token) {
      await fetch(this.api('/sessions/current'), {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      }).catch((err: unknown) => console.warn('[Parley] sign-out could not reach the server', err));
    }
  };

  /** The connection is signed in; an identity token's session is kept for reconnects. */
  ready(ready: SessionReady): void {
    this.problem.value = null;
    if (!ready.session) return;
    this.keep(ready.session.token);
    this.connection.setAuth(this.auth());
  }

  /** Forgets the token (the session is over). */
  forget(problem: ErrorBody | null): void {
    this.token = null;
    this.identity = null;
    this.tokens.remove(this.tokenKey);
    this.problem.value = problem;
  }

  private keep(token: string): void {
    this.token = token;
    this.identity = null;
    this.tokens.set(this.tokenKey, token);
  }

  private auth(): HandshakeAuth {
    const { site } = this.options;
    return this.identity
      ? { v: PROTOCOL_VERSION, site, identity: this.identity }
      : { v: PROTOCOL_VERSION, site, token: this.token ?? '' };
  }

  private connect(): void {
    this.connection.open(this.auth());
  }
}
