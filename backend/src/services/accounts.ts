import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { decodeJwt, errors as joseErrors, jwtVerify } from 'jose';
import { timeOrderedId } from '../ids.js';
import { ErrorCode, type UserSummary } from '../protocol/index.js';
import { avatarUrl as avatarUrlSchema, email as emailSchema, stripControls } from '../protocol/schemas.js';
import { ParleyError } from '../errors.js';
import {
  PROFILE_SET_BY_HOST,
  type SessionRecord,
  type SiteRecord,
  type StoredConnection,
  type Store,
  type UserPatch,
  type UserRecord,
} from '../store/store.js';
import type { EmailConfirmation } from './email-confirmation.js';
import { siteSettings } from './site-settings.js';
import { toSummary } from '../store/wire.js';

/** The mappers moved to store/wire.ts; re-exported for the callers that import them from here. */

/** OWASP's argon2id baseline: 19 MiB of memory, 2 passes, 1 lane. */
const ARGON2 = { algorithm: 2 /* Argon2id */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Host identity tokens may live at most this long (exp − iat), and must carry both. */
export const IDENTITY_MAX_AGE_S = 3600;
/** Characters of a host identity token's `sub` (the host's user id); a longer one is refused. */
export const IDENTITY_SUBJECT_MAX = 128;
/** Host user ids Parley keeps for itself (the site's system user, `parley:system`). */
export const RESERVED_SUBJECT_PREFIX = 'parley:';

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2);
}

/** Checked against when the username is unknown, so both failures take the same time. */
let dummyHash: Promise<string> | undefined;

/** The token is only ever handed to the client; the store keeps its SHA-256. */
export function sessionIdOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface OpenedSession {
  token: string;
  expiresAt: string;
  user: UserSummary;
}

const identityError = (code: ErrorCode, message: string) => new ParleyError(code, message);

/** The name of a host user Parley has no profile for: their host id (shown until a profile comes). */
export const fallbackName = (subject: string) => stripControls(subject).slice(0, 64) || 'user';

export class Accounts {
  constructor(
    private readonly store: Store,
    private readonly sessionTtlMs: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Checks a Parley password and opens a session. One generic error for every failure. */
  async login(siteId: string, username: string, password: string): Promise<OpenedSession> {
    const user = await this.store.findUserByUsername(siteId, username.toLowerCase());
    const stored = user?.passwordHash ?? (await (dummyHash ??= hashPassword(randomBytes(16).toString('hex'))));
    const ok = await verify(stored, password).catch(() => false);
    if (!user || !user.passwordHash || !ok) {
      throw new ParleyError(ErrorCode.InvalidCredentials, 'Wrong username or password.');
    }
    return this.openSession(user);
  }

  /** Creates a Parley account where the site allows it, and signs it in. */
  async register(site: SiteRecord, input: { username: string; password: string; displayName?: string }) {
    if (!siteSettings(site).registrationOpen) {
      throw new ParleyError(ErrorCode.RegistrationClosed, 'This site does not allow signing up here.');
    }
    await this.store.createUser({
      id: timeOrderedId(),
      siteId: site.id,
      username: input.username,
      displayName: input.displayName?.trim() || input.username,
      avatarUrl: null,
      passwordHash: await hashPassword(input.password),
    });
    return this.openSession((await this.store.findUserByUsername(site.id, input.username))!);
  }

  /**
   * Signs in a host site's user from a token the host's server signed with the site's secret
   * (HS256 JWT: sub, name, avatar, iat, exp; `aud`, if present, must be the site id). Creates the
   * user on first sight and keeps name and avatar up to date after.
   */
  async loginWithIdentity(site: SiteRecord, token: string): Promise<OpenedSession> {
    return this.openSession(await this.identify(site, token));
  }

  /**
   * Checks a host identity token and returns its user, created or brought up to date, without
   * opening a session (the socket handshake checks its connection cap in between).
   */
  async identify(site: SiteRecord, token: string): Promise<UserRecord> {
    let unverified: ReturnType<typeof decodeJwt>;
    try {
      unverified = decodeJwt(token);
    } catch {
      throw identityError(ErrorCode.IdentityInvalid, 'The identity token is malformed.');
    }
    const audience = unverified.aud;
    if (audience !== undefined && audience !== site.id && !(Array.isArray(audience) && audience.includes(site.id))) {
      throw identityError(ErrorCode.IdentityWrongSite, 'The identity token was issued for another site.');
    }
    let claims: Awaited<ReturnType<typeof jwtVerify>>['payload'];
    try {
      ({ payload: claims } = await jwtVerify(token, new TextEncoder().encode(site.secret), {
        algorithms: ['HS256'],
        requiredClaims: ['sub', 'iat', 'exp'],
        maxTokenAge: IDENTITY_MAX_AGE_S,
        clockTolerance: 30,
        currentDate: this.now(),
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) {
        throw identityError(ErrorCode.IdentityExpired, 'The identity token has expired. Ask the site for a new one.');
      }
      if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
        throw identityError(ErrorCode.IdentityInvalid, 'The identity token is not signed with this site’s secret.');
      }
      throw identityError(ErrorCode.IdentityInvalid, 'The identity token is not valid for this site.');
    }
    if (claims.exp! - claims.iat! > IDENTITY_MAX_AGE_S) {
      throw identityError(ErrorCode.IdentityInvalid, `The identity token lives longer than ${IDENTITY_MAX_AGE_S} s.`);
    }
    // The subject names the host's user: refused unless it is exactly a string Parley can keep
    // whole. Cutting it would merge two users; stringifying `{}` or a number would invent one.
    const subject = claims.sub;
    if (typeof subject !== 'string' || !subject.trim()) {
      throw identityError(ErrorCode.IdentityInvalid, 'The identity token’s `sub` must be a non-empty string.');
    }
    if (subject.length > IDENTITY_SUBJECT_MAX) {
      throw identityError(
        ErrorCode.IdentityInvalid,
        `The identity token’s \`sub\` is longer than ${IDENTITY_SUBJECT_MAX} characters.`,
      );
    }
    if (subject.startsWith(RESERVED_SUBJECT_PREFIX)) {
      throw identityError(
        ErrorCode.IdentityInvalid,
        `The identity token’s \`sub\` must not start with ${RESERVED_SUBJECT_PREFIX}.`,
      );
    }
    // A token with a name or an avatar pushes the profile (a missing name falls back to the id, a
    // missing avatar to none). One with neither leaves the profile as Parley has it: from an
    // earlier push, or from the site's profile provider (services/profiles/).
    const pushed = typeof claims.name === 'string' || typeof claims.avatar === 'string';
    const given = typeof claims.name === 'string' ? stripControls(claims.name).trim().slice(0, 64) : '';
    const name = pushed ? given || fallbackName(subject) : null;
    const avatar =
      typeof claims.avatar === 'string' && avatarUrlSchema.safeParse(claims.avatar).success ? claims.avatar : null;
    // The host knows its users' addresses; a claim that is not an address is ignored, not fatal.
    const email = typeof claims.email === 'string' && emailSchema.safeParse(claims.email).success ? claims.email : null;
    // OpenID Connect's `email_verified`: the host vouches that the user owns the address, so it
    // counts as confirmed. Without it the address waits for its confirmation link like any other.
    const verified = email !== null && claims.email_verified === true;

    return this.upsertHostUser(site, subject, { name, avatar, email, verified });
  }

  /**
   * The host site's user `subject` (its own id: an identity token's `sub`, or the server API's
   * external id), created on first sight, its profile brought up to date after. One path for
   * both, so a user the API made and one signing in with a token are the same user.
   * `email` null keeps the address the user set themselves; `verified` marks it confirmed.
   *
   * `name` null: the host gave no profile. A new user is named after its id until the site's
   * profile provider answers; a known one keeps its name and avatar. A given name (with its
   * avatar) is a pushed profile: it wins over the provider, which is not asked for it again
   * (profileFetchedAt = PROFILE_SET_BY_HOST; docs/api.md#profile-provider).
   */
  async upsertHostUser(
    site: SiteRecord,
    subject: string,
    profile: { name: string | null; avatar: string | null; email: string | null; verified: boolean },
  ): Promise<UserRecord> {
    const { name, email } = profile;
    const avatar = name === null ? null : profile.avatar;
    const verified = email !== null && profile.verified;
    let user = await this.store.findUserByExternalId(site.id, subject);
    if (!user) {
      const base =
        subject
          .toLowerCase()
          .replace(/[^a-z0-9._-]/g, '')
          .slice(0, 24) || 'user';
      for (let attempt = 0; !user && attempt < 5; attempt++) {
        const username = attempt === 0 ? base : `${base}-${randomBytes(3).toString('hex')}`;
        try {
          await this.store.createUser({
            id: timeOrderedId(),
            siteId: site.id,
            username,
            displayName: name ?? fallbackName(subject),
            avatarUrl: avatar,
            passwordHash: null,
            externalId: subject,
            profileFetchedAt: name === null ? null : PROFILE_SET_BY_HOST,
            email,
            emailConfirmedAt: verified ? this.now() : null,
          });
        } catch (err) {
          if (!(err instanceof ParleyError && err.code === ErrorCode.UsernameTaken)) throw err;
        }
        user = await this.store.findUserByExternalId(site.id, subject);
      }
      if (!user) throw new Error(`could not find a free username for identity subject on site ${site.id}`);
    } else {
      const confirm = verified && (user.email !== email || user.emailConfirmedAt === null);
      const pushed =
        name !== null &&
        (user.displayName !== name ||
          user.avatarUrl !== avatar ||
          user.profileFetchedAt?.getTime() !== PROFILE_SET_BY_HOST.getTime());
      if (pushed || (email !== null && user.email !== email) || confirm) {
        // A token without an e-mail claim keeps the address the user set themselves; a new address
        // the host does not vouch for starts unconfirmed (the store clears the confirmation).
        user = await this.store.updateUser(user.id, {
          ...(pushed ? { displayName: name, avatarUrl: avatar, profileFetchedAt: PROFILE_SET_BY_HOST } : {}),
          ...(email !== null ? { email } : {}),
          ...(confirm ? { emailConfirmedAt: this.now() } : {}),
        });
      }
    }
    return user;
  }

  async openSession(user: UserRecord): Promise<OpenedSession> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(this.now().getTime() + this.sessionTtlMs);
    await this.store.createSession({ id: sessionIdOf(token), userId: user.id, expiresAt });
    return { token, expiresAt: expiresAt.toISOString(), user: toSummary(user) };
  }

  /** The user a session token belongs to, if it is live and for this site. */
  async authenticate(
    siteId: string,
    token: string,
  ): Promise<{ user: UserRecord; sessionId: string; session: SessionRecord }> {
    const { user, session } = this.live(siteId, await this.store.getSession(sessionIdOf(token)));
    return { user, sessionId: session.id, session };
  }

  /**
   * What a connect with a session token needs, read in one round trip (Store.connection): the site,
   * the session with its user, and their roster and room peers when the session is live. The
   * session is not checked here: the caller checks the site first, then calls `live`.
   */
  readConnection(siteId: string, token: string): Promise<StoredConnection> {
    return this.store.connection(siteId, sessionIdOf(token), this.now());
  }

  /** The session and its user if the session is live and of this site; `unauthorized` otherwise. */
  live(
    siteId: string,
    found: { session: SessionRecord | null; user: UserRecord | null } | null,
  ): { user: UserRecord; session: SessionRecord } {
    const session = found?.session;
    const user = found?.user;
    if (
      !session ||
      !user ||
      session.revokedAt ||
      session.expiresAt.getTime() <= this.now().getTime() ||
      user.siteId !== siteId
    ) {
      throw new ParleyError(ErrorCode.Unauthorized, 'Your session has ended. Please sign in again.');
    }
    return { user, session };
  }

  async logout(sessionId: string): Promise<void> {
    await this.store.revokeSession(sessionId, this.now());
  }

  /** Checks the current password, sets the new one, ends every session and opens a fresh one. */
  async changePassword(user: UserRecord, current: string, next: string): Promise<OpenedSession> {
    const ok = user.passwordHash ? await verify(user.passwordHash, current).catch(() => false) : false;
    if (!ok) throw new ParleyError(ErrorCode.InvalidCredentials, 'The current password is wrong.');
    const updated = await this.store.updateUser(user.id, { passwordHash: await hashPassword(next) });
    await this.store.revokeUserSessions(user.id, this.now());
    return this.openSession(updated);
  }

  /**
   * Saves the profile. A new e-mail address starts unconfirmed and, where the server sends e-mail,
   * gets its confirmation mail first: if the mail is refused by the rate limits or cannot be sent,
   * nothing is saved and the error says why.
   */
  async updateProfile(
    user: UserRecord,
    patch: Pick<UserPatch, 'displayName' | 'avatarUrl' | 'email' | 'emailDigests'>,
    confirmations: EmailConfirmation,
  ): Promise<UserRecord> {
    const clean: UserPatch = {};
    if (patch.displayName !== undefined) clean.displayName = patch.displayName.trim();
    if (patch.avatarUrl !== undefined) clean.avatarUrl = patch.avatarUrl;
    // A host user's own choice stands against the site's profile provider, as a pushed profile does.
    if (user.externalId !== null && (patch.displayName !== undefined || patch.avatarUrl !== undefined)) {
      clean.profileFetchedAt = PROFILE_SET_BY_HOST;
    }
    if (patch.email !== undefined) clean.email = patch.email;
    if (patch.emailDigests !== undefined) clean.emailDigests = patch.emailDigests;
    if (typeof patch.email === 'string') {
      // The stored address, not the connection's copy, which another tab may have made stale.
      const current = (await this.store.getUser(user.id)) ?? user;
      if (current.email !== patch.email) {
        await confirmations.allow(current, patch.email);
        await confirmations.send(current, patch.email);
      }
    }
    return this.store.updateUser(user.id, clean);
  }

  /** Sends the confirmation mail for the user's address again (within the same limits). */
  async resendConfirmation(user: UserRecord, confirmations: EmailConfirmation): Promise<UserRecord> {
    const current = (await this.store.getUser(user.id)) ?? user;
    if (current.email === null) throw new ParleyError(ErrorCode.BadRequest, 'Set an e-mail address first.');
    if (current.emailConfirmedAt !== null) {
      throw new ParleyError(ErrorCode.BadRequest, 'This e-mail address is already confirmed.');
    }
    if (!confirmations.enabled) {
      throw new ParleyError(ErrorCode.Unavailable, 'This server does not send e-mail.');
    }
    await confirmations.allow(current, current.email);
    await confirmations.send(current, current.email);
    return current;
  }

  /** The unsubscribe link's effect: no more digests, whatever the widget said. */
  async stopDigests(userId: string): Promise<void> {
    await this.store.updateUser(userId, { emailDigests: false });
  }
}
