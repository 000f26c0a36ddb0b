import { SignJWT } from 'jose';
import type { FastifyInstance, RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode } from '../protocol/index.js';
import { ParleyError } from '../errors.js';
import { DEMO_SITE } from '../demo-seed.js';
import { assertDemoReachable } from '../services/demo-access.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';

/** The demo's own "host site" accounts, signed in to Parley through identity tokens. */
export const DEMO_HOST_USERS = {
  dana: { name: 'Dana Scully' },
  eli: { name: 'Eli Whitney' },
} as const;

/**
 * Plays the host site's server for the demo's identity page: it signs a short-lived token for one
 * of its own users with the demo site's secret, exactly as a real host's server would (see the
 * README). Only registered when the demo is on.
 */
export function registerDemoRoutes(
  app: FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, Logger>,
  store: Store,
  demoOpen: boolean,
): void {
  app.get('/demo/identity-token', async (request) => {
    assertDemoReachable(DEMO_SITE, request.ip, demoOpen);
    const user = (request.query as { user?: unknown }).user;
    if (typeof user !== 'string' || !Object.hasOwn(DEMO_HOST_USERS, user)) {
      throw new ParleyError(ErrorCode.BadRequest, `user must be one of ${Object.keys(DEMO_HOST_USERS).join(', ')}`);
    }
    const site = await store.getSite(DEMO_SITE);
    if (!site) throw new ParleyError(ErrorCode.NotFound, 'The demo site is missing.');
    const token = await new SignJWT({
      name: DEMO_HOST_USERS[user as keyof typeof DEMO_HOST_USERS].name,
      aud: DEMO_SITE,
    })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(`riverside-${user}`)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(site.secret));
    return { ok: true, data: { token } };
  });
}
