import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Transporter } from 'nodemailer';
import { ErrorCode } from '../protocol/index.js';
import { ParleyError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { SiteRecord, Store, UserRecord } from '../store/store.js';
import type { Limiter } from './rate-limiter.js';

/**
 * Confirmation of the address digests go to. Without it anyone could set a stranger's address and
 * have a second account of theirs message it: Parley would then mail attacker-chosen names and
 * text to that stranger (issue 12, finding 4).
 *
 * The link is stateless: `u` (user id), `x` (expiry, Unix seconds) and `t`, an HMAC-SHA256 over
 * the user id, the address and the expiry, keyed like unsubscribe links (PARLEY_SECRET, else the
 * site's secret). A changed address no longer matches the HMAC, so its old links stop working; a
 * changed expiry does not match either. Confirming is a compare-and-set on the address the link
 * was made for.
 */

export interface ConfirmationSettings {
  publicUrl: string;
  /** PARLEY_SECRET; null: the site's secret. */
  secret: string | null;
  mailFrom: string;
  /** EMAIL_CONFIRM_TTL_HOURS: how long a link stays valid. */
  ttlMs: number;
}

export type LinkCheck =
  | {
      status: 'valid';
      user: UserRecord;
      site: SiteRecord;
      address: string;
      /** The link's own parameters, checked: for the form that confirms. */
      params: { u: string; x: string; t: string };
    }
  | { status: 'expired' | 'invalid' };

function sign(key: string, userId: string, address: string, expires: number): string {
  return createHmac('sha256', key).update(`parley-confirm-email:${userId}:${expires}:${address}`).digest('base64url');
}

/** Only the parameters we make; anything else is not a link of ours (checked before any lookup). */
const USER_ID = /^[\w-]{1,64}$/;
const EXPIRES = /^\d{1,12}$/;
const TOKEN = /^[\w-]{43}$/;

export class EmailConfirmation {
  constructor(
    private readonly store: Store,
    /** Null without SMTP_URL: nothing can be confirmed, so nothing is sent. */
    private readonly transport: Transporter | null,
    private readonly settings: ConfirmationSettings,
    private readonly limits: { perUser: Limiter; perAddress: Limiter },
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get enabled(): boolean {
    return this.transport !== null;
  }

  close(): void {
    this.transport?.close();
  }

  /** The link for the user's current address, valid for the configured time. */
  linkFor(user: UserRecord, site: SiteRecord, address: string): string {
    const expires = Math.ceil((this.now().getTime() + this.settings.ttlMs) / 1000);
    const query = new URLSearchParams({
      u: user.id,
      x: String(expires),
      t: sign(this.settings.secret ?? site.secret, user.id, address, expires),
    });
    return `${this.settings.publicUrl}/confirm-email?${query}`;
  }

  /**
   * Takes one mail's worth of both allowances (the user's and the address's), or throws
   * `rate_limited`. Called before anything is saved, so a refused change leaves the profile as it was.
   */
  async allow(user: UserRecord, address: string): Promise<void> {
    if (!this.transport) return;
    const perUser = await this.limits.perUser.take(user.id);
    // Addresses are counted case-insensitively: Alice@x and alice@x reach the same mailbox.
    const perAddress = perUser && (await this.limits.perAddress.take(address.toLowerCase()));
    if (!perUser || !perAddress) {
      throw new ParleyError(
        ErrorCode.RateLimited,
        'Too many confirmation e-mails for you or for this address. Try again later.',
      );
    }
  }

  /**
   * Mails the confirmation link to `address`. The text is fixed but for the site's name (set by its
   * operator) and the link: nothing a user typed (name, status, messages) goes into it.
   */
  async send(user: UserRecord, address: string): Promise<void> {
    if (!this.transport) return;
    const site = await this.store.getSite(user.siteId);
    if (!site) throw new Error(`site ${user.siteId} of user ${user.id} is missing`);
    const link = this.linkFor(user, site, address);
    const hours = Math.max(1, Math.round(this.settings.ttlMs / 3_600_000));
    const text = [
      `Someone asked ${site.name} to send e-mails about unread chat messages to this address.`,
      '',
      `If it was you, confirm the address here (the link works for ${hours} hour${hours === 1 ? '' : 's'}):`,
      link,
      '',
      'If it was not you, ignore this e-mail: nothing will be sent to this address unless it is confirmed.',
    ].join('\n');
    try {
      await this.transport.sendMail({
        from: this.settings.mailFrom,
        to: address,
        subject: `Confirm your e-mail address for ${site.name}`,
        text,
      });
    } catch (err) {
      this.logger.error({ err, user: user.id }, 'confirmation e-mail failed');
      throw new ParleyError(ErrorCode.Unavailable, 'The confirmation e-mail could not be sent. Try again later.');
    }
    this.logger.info({ user: user.id }, 'confirmation e-mail sent');
  }

  /** What a link's query says, checked against the user's current address. Reads only. */
  async check(query: unknown): Promise<LinkCheck> {
    const { u, x, t } = (query ?? {}) as Record<string, unknown>;
    if (typeof u !== 'string' || typeof x !== 'string' || typeof t !== 'string') return { status: 'invalid' };
    if (!USER_ID.test(u) || !EXPIRES.test(x) || !TOKEN.test(t)) return { status: 'invalid' };
    const user = await this.store.getUser(u);
    const site = user && (await this.store.getSite(user.siteId));
    if (!user || !site || user.email === null) return { status: 'invalid' };
    const expected = Buffer.from(sign(this.settings.secret ?? site.secret, user.id, user.email, Number(x)));
    const given = Buffer.from(t);
    // The signature first: a link whose expiry was pushed back is invalid, not merely expired.
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { status: 'invalid' };
    if (Number(x) * 1000 <= this.now().getTime()) return { status: 'expired' };
    return { status: 'valid', user, site, address: user.email, params: { u, x, t } };
  }

  /** Marks the address confirmed if the link is valid and the address still the user's. */
  async confirm(query: unknown): Promise<LinkCheck> {
    const found = await this.check(query);
    if (found.status !== 'valid') return found;
    if (!(await this.store.confirmEmail(found.user.id, found.address, this.now()))) return { status: 'invalid' };
    this.logger.info({ user: found.user.id }, 'e-mail address confirmed');
    return found;
  }
}
