import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { SignJWT } from 'jose';
import { PROTOCOL_VERSION } from '@parley/backend/protocol/constants';
import { TestClient, withStore } from '@parley/backend/testing';
import { baseUrl, buddy, fixturesUrl } from './widget.js';

/**
 * The profile provider in the browser: a site whose users sign in with identity tokens that carry
 * no name, and whose server answers Parley's signed profile requests (a provider in this test,
 * verifying each signature as docs/api.md shows). The widget's buddy list shows the names the
 * provider gave, not the bare host ids.
 */
const SITE = 'profiles-shop';
const SECRET = 'profiles-shop-secret-0123456789abcdef012';
const database = () => join(process.env.PARLEY_E2E_DIR!, 'parley.db');
const NAMES: Record<string, string> = { 'pp-ann': 'Annika Provided', 'pp-bo': 'Bo Provided' };

let provider: Server;
const asked: { ids: string[]; signed: boolean }[] = [];

/** The host's check of `Parley-Signature: t=<time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
function signed(header: string | undefined, body: string): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match || Math.abs(Date.now() / 1000 - Number(match[1])) > 300) return false;
  const expected = createHmac('sha256', SECRET).update(`${match[1]}.${body}`).digest();
  return timingSafeEqual(Buffer.from(match[2]!, 'hex'), expected);
}

const identity = (sub: string) =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));

test.beforeAll(async () => {
  provider = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const ok = signed(req.headers['parley-signature'] as string | undefined, body);
      const { ids } = JSON.parse(body) as { ids: string[] };
      asked.push({ ids, signed: ok });
      if (!ok) return void res.writeHead(401).end();
      const profiles = ids.filter((id) => NAMES[id]).map((id) => ({ id, name: NAMES[id] }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ profiles }));
    });
  });
  await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
  const profileUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/profiles`;
  await withStore(database(), async (store) => {
    const settings = { profileUrl };
    if (await store.getSite(SITE)) await store.updateSite(SITE, { settings });
    else
      await store.createSite({
        id: SITE,
        name: 'Profiles shop',
        secret: SECRET,
        origins: ['http://127.0.0.1:*'],
        settings,
      });
  });
});

test.afterAll(async () => {
  await new Promise((resolve) => provider.close(resolve));
});

test('the buddy list shows the names the site’s profile provider gave', async ({ page }) => {
  // Both have signed in before (socket clients, as other browsers would); then the host makes them buddies.
  const connect = async (sub: string) =>
    TestClient.connect(baseUrl(), await identity(sub), { site: SITE, identity: true, v: PROTOCOL_VERSION });
  const bo = await connect('pp-bo');
  (await connect('pp-ann')).close();
  await withStore(database(), async (store) => {
    const ann = await store.findUserByExternalId(SITE, 'pp-ann');
    const boUser = await store.findUserByExternalId(SITE, 'pp-bo');
    if (!ann || !boUser) throw new Error('the sign-ins did not make the users');
    await store.setBuddies(ann.id, boUser.id, 'accepted');
  });

  await page.goto(`${fixturesUrl()}/blank.html`);
  const token = await identity('pp-ann');
  await page.evaluate(
    ({ server, site, token }) => {
      (window as unknown as { ParleySettings: unknown }).ParleySettings = { site, server, identityToken: token };
      const script = document.createElement('script');
      script.src = `${server}/parley.js`;
      document.body.append(script);
    },
    { server: baseUrl(), site: SITE, token },
  );
  await page.getByRole('button', { name: /^Open chat/ }).click();
  // The provider's name, not the host id the user was made with; it arrives after sign-in (user:updated).
  await expect(buddy(page, 'Bo Provided')).toBeVisible({ timeout: 15_000 });
  await expect(page.getByRole('navigation', { name: 'Buddies' })).not.toContainText('pp-bo');
  expect(asked.length).toBeGreaterThan(0);
  expect(asked.every((request) => request.signed)).toBe(true);
  expect(asked.flatMap((request) => request.ids)).toEqual(expect.arrayContaining(['pp-ann', 'pp-bo']));
  bo.close();
});
