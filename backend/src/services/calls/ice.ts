import { createHmac } from 'node:crypto';
import type { IceConfig, IceServer } from '../../protocol/index.js';

/** Where devices find each other: STUN servers, and TURN relays with a secret shared with them. */
export interface IceSettings {
  /** STUN_URLS: `stun:` URLs, handed out as they are. Empty by default: host candidates suffice on a LAN. */
  stunUrls: string[];
  /** TURN_URLS: `turn:`/`turns:` URLs of relays that share `turnSecret` (coturn `use-auth-secret`). */
  turnUrls: string[];
  /** TURN_SECRET: coturn's `static-auth-secret`. Required with TURN_URLS. */
  turnSecret: string | null;
  /** TURN_TTL_SECONDS: how long a handed-out TURN credential works. */
  turnTtlSeconds: number;
}

/**
 * The TURN REST credential scheme coturn checks with `use-auth-secret`: the username is
 * `<expiry in unix seconds>:<user id>`, the password base64(HMAC-SHA1(secret, username)). The relay
 * recomputes the HMAC from its own copy of the secret and refuses a username whose time has passed,
 * so nothing is stored and a credential cannot be stretched.
 */
export function turnCredential(
  secret: string,
  userId: string,
  expiresAtSeconds: number,
): { username: string; credential: string } {
  const username = `${expiresAtSeconds}:${userId}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

/** Hands signed-in users the ICE servers of a call, TURN credentials made for them alone. */
export class IceService {
  constructor(
    private readonly settings: IceSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** The ICE configuration for `userId`'s device, valid until `expiresAt` (null: nothing expires). */
  configFor(userId: string): IceConfig {
    const iceServers: IceServer[] = [];
    const { stunUrls, turnUrls, turnSecret, turnTtlSeconds } = this.settings;
    if (stunUrls.length > 0) iceServers.push({ urls: [...stunUrls] });
    if (turnUrls.length === 0 || !turnSecret) return { iceServers, expiresAt: null };
    const expiry = Math.floor(this.now() / 1000) + turnTtlSeconds;
    iceServers.push({ urls: [...turnUrls], ...turnCredential(turnSecret, userId, expiry) });
    return { iceServers, expiresAt: new Date(expiry * 1000).toISOString() };
  }
}
