import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from '../logger.js';
import type { CallLog, FileInfo } from '../protocol/index.js';
import type { DigestCandidate, MessageRecord, SiteRecord, Store } from '../store/store.js';
import { siteSettings } from './site-settings.js';
import { unsubscribeUrl } from './unsubscribe.js';

export interface DigestSettings {
  /** SMTP_URL; null turns digests off. */
  smtpUrl: string | null;
  mailFrom: string;
  /** How long a message waits unread before it is worth an e-mail. */
  delayMs: number;
  /** How often to look for waiting messages. */
  checkMs: number;
  publicUrl: string;
  secret: string | null;
}

/** Messages listed in one e-mail; the rest are counted. */
const LISTED = 10;
/** Users handled per scan; the next scan takes the rest. */
const PER_SCAN = 200;

/**
 * E-mails each user who has had unread messages for longer than the delay one digest (not one per
 * message), with a link back to the site and an unsubscribe link. A user's `digestUpTo` moves to
 * the covered time before the mail goes (compare-and-set, so two nodes never send the same
 * digest), and at most one digest goes per delay period.
 */
export class DigestMailer {
  private readonly transport: Transporter | null;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly store: Store,
    private readonly settings: DigestSettings,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.transport = settings.smtpUrl ? nodemailer.createTransport(settings.smtpUrl) : null;
  }

  get enabled(): boolean {
    return this.transport !== null;
  }

  /** Starts the periodic scan; does nothing without SMTP_URL. */
  start(): void {
    if (!this.transport) {
      this.logger.info('SMTP_URL is not set: no digest e-mails');
      return;
    }
    this.timer = setInterval(() => void this.scan(), this.settings.checkMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    this.transport?.close();
  }

  /** One pass: sends the digests that are due and resolves with how many went. Never rejects. */
  scan(): Promise<number> {
    this.running ??= this.sendDue()
      .catch((err: unknown) => {
        this.logger.error({ err }, 'digest scan failed');
        return 0;
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async sendDue(): Promise<number> {
    if (!this.transport) return 0;
    const now = this.now().getTime();
    const cutoff = new Date(now - this.settings.delayMs);
    // digestUpTo is set to the cutoff of the last digest, so `< now − 2·delay` means "sent over a delay ago".
    const since = new Date(now - 2 * this.settings.delayMs);
    const due = await this.store.digestCandidates(cutoff, since, PER_SCAN);
    const sites = new Map<string, SiteRecord | null>();
    let sent = 0;
    for (const candidate of due) {
      const siteId = candidate.user.siteId;
      if (!sites.has(siteId)) sites.set(siteId, await this.store.getSite(siteId));
      const site = sites.get(siteId);
      if (!site) continue;
      if (await this.sendOne(site, candidate, cutoff)) sent++;
    }
    return sent;
  }

  private async sendOne(site: SiteRecord, { user, waiting }: DigestCandidate, cutoff: Date): Promise<boolean> {
    // The query already leaves unconfirmed addresses out; checked again here, as mail to an
    // address nobody confirmed is what the confirmation exists to prevent.
    if (user.email === null || user.emailConfirmedAt === null) return false;
    const previous = user.digestUpTo;
    // Read before the claim: the claim moves digestUpTo past these very messages.
    const messages = await this.store.waitingMessages(user.id, cutoff, LISTED);
    if (!(await this.store.claimDigest(user.id, previous, cutoff))) return false; // another node took it
    try {
      const lines = await this.describe(messages);
      const siteUrl = siteSettings(site).url ?? `${this.settings.publicUrl}/`;
      const unsubscribe = unsubscribeUrl(this.settings.publicUrl, user.id, site, this.settings.secret);
      const more = waiting - messages.length;
      const text = [
        `Hello ${user.displayName},`,
        '',
        `${waiting === 1 ? 'A message is' : `${waiting} messages are`} waiting for you on ${site.name}:`,
        '',
        ...lines.map((line) => `  ${line}`),
        ...(more > 0 ? [`  … and ${more} more.`] : []),
        '',
        `Read and answer them: ${siteUrl}`,
        '',
        '—',
        `You get this because you have unread messages on ${site.name}.`,
        `No more of these e-mails: ${unsubscribe}`,
      ].join('\n');
      await this.transport!.sendMail({
        from: this.settings.mailFrom,
        to: user.email,
        subject: `${waiting === 1 ? '1 message' : `${waiting} messages`} waiting for you on ${site.name}`,
        text,
        headers: {
          'List-Unsubscribe': `<${unsubscribe}>`,
          'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        },
      });
      this.logger.info({ user: user.id, waiting }, 'digest e-mail sent');
      return true;
    } catch (err) {
      // Give the claim back so the next scan tries again (and log why this one did not go).
      this.logger.error({ err, user: user.id }, 'digest e-mail failed');
      await this.store.claimDigest(user.id, cutoff, previous).catch((undo: unknown) => {
        this.logger.error({ err: undo, user: user.id }, 'could not release a failed digest');
      });
      return false;
    }
  }

  /** "Bob Marley in Book club: hello" lines, message text as plain text (the mail has no HTML). */
  private async describe(messages: MessageRecord[]): Promise<string[]> {
    const senders = new Map<string, string>();
    const rooms = new Map<string, string>();
    for (const m of messages) {
      if (!senders.has(m.senderId)) senders.set(m.senderId, (await this.store.getUser(m.senderId))?.displayName ?? '?');
      if (m.roomId && !rooms.has(m.roomId)) rooms.set(m.roomId, (await this.store.getRoom(m.roomId))?.name ?? '?');
    }
    return messages.map((m) => {
      const where = m.roomId ? ` in ${rooms.get(m.roomId)}` : '';
      const text = m.body.replace(/\s+/g, ' ').trim();
      const body = m.call ? callLabel(m.call) : m.file ? `${fileLabel(m.file)}${text ? ` ${text}` : ''}` : text;
      return `${senders.get(m.senderId)}${where}: ${body.length > 140 ? `${body.slice(0, 139)}…` : body}`;
    });
  }
}

const minutesSeconds = (ms: number) => {
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
};

/** A file message in a digest: what kind of file it is (the mail links to nothing stored). */
export function fileLabel(file: FileInfo): string {
  if (file.voice) return `[voice message ${minutesSeconds(file.durationMs ?? 0)}]`;
  const name = file.name.replace(/\s+/g, ' ').slice(0, 80);
  return file.media === 'image' ? `[photo: ${name}]` : `[file: ${name}]`;
}

/** A call-log message in a digest: "[missed video call]", "[voice call 1:23]". */
export function callLabel(call: CallLog): string {
  const kind = `${call.media === 'video' ? 'video' : 'voice'} call`;
  if (call.outcome === 'completed') return `[${kind} ${minutesSeconds(call.durationMs ?? 0)}]`;
  return `[${call.outcome} ${kind}]`;
}
