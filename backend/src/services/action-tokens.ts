import { decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { ParleyError } from '../errors.js';
import { ErrorCode } from '../protocol/index.js';
import { ACTION_JTI_MAX, ACTION_TOKEN_MAX_AGE_S, type ActionRequest } from '../protocol/signed-actions.js';
import type { SiteRecord, UserRecord } from '../store/store.js';
import { signedActionsOf } from './site-settings.js';

/** Seconds of clock difference between the host's server and this one that are forgiven. */
export const ACTION_TOKEN_SKEW_S = 5;

/**
 * Where used `jti`s are remembered until their token expires: the database on one node
 * (UsedActionToken), Redis in cluster mode, so that a token used on one node is refused on all.
 */
export interface UsedActionTokens {
  /** True when this call is the first to use `jti` of the site (before `expiresAt`). */
  claim(siteId: string, jti: string, expiresAt: Date, now: Date): Promise<boolean>;
}

const refuse = (code: ErrorCode, message: string) => new ParleyError(code, message);
const invalid = (why: string) => refuse(ErrorCode.ActionTokenInvalid, `The action token ${why}.`);

/**
 * Signed actions (docs/protocol.md#signed-actions): where a site requires it, a request that
 * performs one of its listed actions must carry a token the site's server signed for exactly
 * this user, action and resource: an HS256 JWT under the site secret with `sub` (the user's id
 * on the host, else their Parley id), `act`, `res`, `exp` at most 60 s ahead, and a `jti` that
 * is accepted once. Everything is checked before the `jti` is taken, so a refused token does not
 * use it up; an accepted one is used up even if the action then fails (ask for a fresh one).
 */
export class ActionTokens {
  constructor(
    private readonly used: UsedActionTokens,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Whether the site requires a token for `action`. */
  required(site: SiteRecord, action: ActionRequest['action']): boolean {
    // Only this setting is read (not every setting of the site): it is asked on each such request.
    return signedActionsOf(site.settings.signedActions).includes(action);
  }

  /** Throws the ParleyError a client is told unless `token` allows `request` (or none is needed). */
  async check(site: SiteRecord, user: UserRecord, request: ActionRequest, token: string | undefined): Promise<void> {
    if (!this.required(site, request.action)) return;
    if (token === undefined) {
      throw refuse(
        ErrorCode.ActionTokenRequired,
        `This site requires a token signed by its server for ${request.action}. Ask the page for one (signAction).`,
      );
    }
    const claims = await this.verify(site, token);
    const subject = user.externalId ?? user.id;
    if (claims.sub !== subject) throw invalid('was issued for another user (`sub`)');
    if (claims.act !== request.action) throw invalid(`is for another action (\`act\` must be "${request.action}")`);
    if (claims.res !== request.resource) throw invalid('is for another resource (`res`)');
    const jti = claims.jti;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > ACTION_JTI_MAX) {
      throw invalid(`needs a \`jti\` of 1 to ${ACTION_JTI_MAX} characters`);
    }
    // Remembered for as long as the token could be accepted: its `exp` plus the skew forgiven.
    const until = new Date((claims.exp! + ACTION_TOKEN_SKEW_S) * 1000);
    if (!(await this.used.claim(site.id, jti, until, this.now()))) {
      throw refuse(ErrorCode.ActionTokenReplayed, 'The action token was used before. Ask the page for a fresh one.');
    }
  }

  private async verify(site: SiteRecord, token: string): Promise<JWTPayload> {
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      throw invalid('is malformed');
    }
    const audience = unverified.aud;
    if (audience !== undefined && audience !== site.id && !(Array.isArray(audience) && audience.includes(site.id))) {
      throw invalid('was issued for another site');
    }
    const now = this.now();
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, new TextEncoder().encode(site.secret), {
        algorithms: ['HS256'],
        requiredClaims: ['sub', 'act', 'res', 'exp', 'jti'],
        clockTolerance: ACTION_TOKEN_SKEW_S,
        currentDate: now,
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) {
        throw refuse(ErrorCode.ActionTokenExpired, 'The action token has expired. Ask the page for a fresh one.');
      }
      if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
        throw invalid('is not signed with this site’s secret');
      }
      throw invalid('is not valid for this site (HS256, with sub, act, res, exp and jti)');
    }
    if (claims.exp! > now.getTime() / 1000 + ACTION_TOKEN_MAX_AGE_S + ACTION_TOKEN_SKEW_S) {
      throw invalid(`lives longer than ${ACTION_TOKEN_MAX_AGE_S} s (\`exp\` is too far ahead)`);
    }
    return claims;
  }
}
