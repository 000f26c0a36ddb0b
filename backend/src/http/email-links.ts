import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, RawServerDefault } from 'fastify';
import type { Logger } from '../logger.js';
import type { Accounts } from '../services/accounts.js';
import type { EmailConfirmation, LinkCheck } from '../services/email-confirmation.js';
import { unsubscribeTokenValid } from '../services/unsubscribe.js';
import type { Store } from '../store/store.js';

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A small page of its own for the unsubscribe and confirmation links: no widget, no scripts. */
function page(title: string, body: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
    `<title>${escapeHtml(title)}</title><style>body{font:16px system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}` +
    `button{font:inherit;padding:.5rem 1rem}</style></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`
  );
}

/**
 * The pages behind the links of Parley's e-mails: unsubscribing from digests and confirming an
 * address. Usable without signing in; each GET only shows a button, and only its POST acts.
 */
export async function registerEmailLinkPages(
  app: FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, Logger>,
  deps: { store: Store; accounts: Accounts; confirmations: EmailConfirmation; secret: string | null },
): Promise<void> {
  const { store, accounts } = deps;
  /**
   * The unsubscribe link of digest e-mails, usable without signing in. GET shows a button (mail
   * scanners that fetch links must not unsubscribe anyone); POST turns digests off, and is also
   * what mail clients send for one-click unsubscribe (RFC 8058).
   */
  await app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
      done(null, body),
    );
    const check = async (request: FastifyRequest) => {
      const { u, t } = request.query as { u?: unknown; t?: unknown };
      if (typeof u !== 'string' || typeof t !== 'string' || u.length > 64 || t.length > 128) return null;
      const user = await store.getUser(u);
      const site = user && (await store.getSite(user.siteId));
      if (!user || !site || !unsubscribeTokenValid(t, user.id, site, deps.secret)) return null;
      return { user, site };
    };
    const invalid = (reply: FastifyReply) =>
      reply
        .code(404)
        .type('text/html; charset=utf-8')
        .send(
          page('Link not valid', '<p>This unsubscribe link is not valid. Copy the whole link from the e-mail.</p>'),
        );
    scope.get('/unsubscribe', async (request, reply) => {
      const found = await check(request);
      if (!found) return invalid(reply);
      const action = escapeHtml(request.url);
      return reply
        .type('text/html; charset=utf-8')
        .send(
          page(
            'Stop e-mails about waiting messages?',
            `<p>${escapeHtml(found.site.name)} will no longer e-mail ${escapeHtml(found.user.displayName)} about unread ` +
              `messages. You can turn them on again in the chat's settings.</p>` +
              `<form method="post" action="${action}"><button type="submit">Unsubscribe</button></form>`,
          ),
        );
    });
    scope.post('/unsubscribe', async (request, reply) => {
      const found = await check(request);
      if (!found) return invalid(reply);
      await accounts.stopDigests(found.user.id);
      request.log.info({ user: found.user.id }, 'digests turned off by unsubscribe link');
      return reply
        .type('text/html; charset=utf-8')
        .send(
          page('Unsubscribed', `<p>No more e-mails about waiting messages from ${escapeHtml(found.site.name)}.</p>`),
        );
    });
  });

  /**
   * The link of a confirmation e-mail. As with unsubscribing, GET only shows a button: mail
   * scanners open links, and one must not confirm an address its owner never asked for. Neither
   * page shows anything from the query; the address and site name come from the database.
   */
  await app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
      done(null, body),
    );
    const refused = (reply: FastifyReply, found: Exclude<LinkCheck, { status: 'valid' }>) =>
      found.status === 'expired'
        ? reply
            .code(410)
            .type('text/html; charset=utf-8')
            .send(
              page(
                'Link expired',
                '<p>This confirmation link has expired. Ask for a new one in the chat’s settings.</p>',
              ),
            )
        : reply
            .code(404)
            .type('text/html; charset=utf-8')
            .send(
              page(
                'Link not valid',
                '<p>This confirmation link is not valid: copy the whole link from the newest e-mail. ' +
                  'A link stops working when the address is changed.</p>',
              ),
            );
    scope.get('/confirm-email', async (request, reply) => {
      const found = await deps.confirmations.check(request.query);
      if (found.status !== 'valid') return refused(reply, found);
      const action = `/confirm-email?${new URLSearchParams(found.params)}`;
      return reply
        .type('text/html; charset=utf-8')
        .send(
          page(
            'Confirm your e-mail address',
            `<p>${escapeHtml(found.site.name)} will e-mail ${escapeHtml(found.address)} about chat messages ` +
              `that wait unread.</p><form method="post" action="${escapeHtml(action)}">` +
              `<button type="submit">Confirm</button></form>`,
          ),
        );
    });
    scope.post('/confirm-email', async (request, reply) => {
      const found = await deps.confirmations.confirm(request.query);
      if (found.status !== 'valid') return refused(reply, found);
      return reply
        .type('text/html; charset=utf-8')
        .send(
          page(
            'E-mail address confirmed',
            `<p>${escapeHtml(found.site.name)} may now e-mail this address about chat messages that wait ` +
              `unread. You can turn that off in the chat’s settings, or with the link in each e-mail.</p>`,
          ),
        );
    });
  });
}
