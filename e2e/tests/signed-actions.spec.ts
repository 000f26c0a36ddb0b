import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { SignJWT } from 'jose';
import { PROTOCOL_VERSION } from '@parley/backend/protocol/constants';
import { TestClient, withStore } from '@parley/backend/testing';
import { baseUrl, fixturesUrl } from './widget.js';

/**
 * Signed actions in the browser: a site that requires a token for room joins and buddy requests;
 * the page's `signAction` fetches each token from its own server (here a route of the test, which
 * signs with the site's secret as a host's server would), and the widget joins a room and adds a
 * buddy with them. A page that refuses gets a clear message in the panel.
 */
const SITE = 'signed-shop';
const SECRET = 'signed-shop-secret-0123456789abcdef0123';
const database = () => join(process.env.PARLEY_E2E_DIR!, 'parley.db');
const encode = (s: string) => new TextEncoder().encode(s);

const identity = (sub: string, name: string) =>
  new SignJWT({ name })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(encode(SECRET));

test.beforeAll(async () => {
  await withStore(database(), async (store) => {
    if (await store.getSite(SITE)) return;
    await store.createSite({
      id: SITE,
      name: 'Signed shop',
      secret: SECRET,
      origins: ['http://127.0.0.1:*'],
      settings: { signedActions: ['room:join', 'buddy:add'] },
    });
  });
});

/** A host user connected over the socket (as another browser would be), so they exist on the site. */
async function hostUser(sub: string, name: string): Promise<TestClient> {
  return TestClient.connect(baseUrl(), await identity(sub, name), { site: SITE, identity: true, v: PROTOCOL_VERSION });
}

/** The host page: signed in as `sub` with an identity token; `signAction` asks POST /sign on the page's own origin. */
async function hostPage(page: Page, sub: string, name: string, withSigner = true): Promise<void> {
  await page.goto(`${fixturesUrl()}/blank.html`);
  const token = await identity(sub, name);
  await page.evaluate(
    ({ server, site, token, withSigner }) => {
      const settings: Record<string, unknown> = { site, server, identityToken: token };
      if (withSigner) {
        settings.signAction = (request: unknown) =>
          fetch('/sign', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(request),
          }).then(async (r) => (r.ok ? r.text() : Promise.reject(new Error(await r.text()))));
      }
      (window as unknown as { ParleySettings: unknown }).ParleySettings = settings;
      const script = document.createElement('script');
      script.src = `${server}/parley.js`;
      document.body.append(script);
    },
    { server: baseUrl(), site: SITE, token, withSigner },
  );
}

test('the page signs a room join and a buddy request; a refusal is shown in the panel', async ({ page }) => {
  const owner = await hostUser('owner-e2e', 'Olga Owner');
  const friend = await hostUser('friend-e2e', 'Fred Friend');
  const roomName = `Signed lobby ${randomUUID().slice(0, 6)}`;
  const created = await owner.request('room:create', { name: roomName, public: true });
  if (!created.ok) throw new Error(created.error.message);
  const roomId = created.data.room.id;

  // The host's signing endpoint: refuses while `refusing`, else signs what the page asks for.
  const asked: { action: string; resource: string }[] = [];
  let refusing = true;
  await page.route('**/sign', async (route) => {
    const request = route.request().postDataJSON() as { action: string; resource: string };
    asked.push(request);
    if (refusing) return route.fulfill({ status: 403, body: 'Members only.' });
    const token = await new SignJWT({ act: request.action, res: request.resource })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('henry-e2e')
      .setJti(randomUUID())
      .setExpirationTime('30s')
      .sign(encode(SECRET));
    return route.fulfill({ status: 200, body: token });
  });

  await hostPage(page, 'henry-e2e', 'Henry Host');
  await page.getByRole('button', { name: /^Open chat/ }).click();
  const panel = page.getByRole('dialog', { name: 'Chat' });
  await expect(panel.getByRole('navigation', { name: 'Buddies' })).toBeVisible();

  // Refused by the host: the panel says why, and the room is not joined.
  await panel.getByRole('tab', { name: 'Chats' }).click();
  await panel.getByRole('button', { name: 'Find public rooms' }).click();
  const join = panel.getByRole('button', { name: `Join ${roomName}` });
  await join.click();
  await expect(panel.getByRole('alert')).toContainText('The site did not allow this: Members only.');
  expect(asked).toEqual([{ action: 'room:join', resource: roomId }]);
  await panel.getByRole('alert').getByRole('button', { name: 'Close' }).click();
  await expect(panel.getByRole('alert')).toHaveCount(0);

  // Signed: the join goes through and the room opens.
  refusing = false;
  await join.click();
  await expect(page.getByRole('list', { name: `Messages with ${roomName}` })).toBeVisible();
  expect(asked.at(-1)).toEqual({ action: 'room:join', resource: roomId });

  // A buddy request, signed for the other user's Parley id.
  await page.getByRole('button', { name: 'Back' }).first().click();
  await panel.getByRole('tab', { name: 'Buddies' }).click();
  await panel.getByRole('searchbox', { name: 'Search people' }).fill('Fred');
  await panel.getByRole('button', { name: 'Search', exact: true }).click();
  await panel.getByRole('button', { name: 'Add Fred Friend' }).click();
  await expect(panel.getByText('Request sent').first()).toBeVisible();
  expect(asked.at(-1)).toEqual({ action: 'buddy:add', resource: friend.ready.user.id });
  await expect.poll(() => friend.rosterChanges.length).toBeGreaterThan(0);

  owner.close();
  friend.close();
});

test('without a signAction the widget explains that the page cannot ask, and nothing crashes', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const owner = await hostUser('owner-e2e-2', 'Otto Owner');
  const roomName = `Unsigned lobby ${randomUUID().slice(0, 6)}`;
  const created = await owner.request('room:create', { name: roomName, public: true });
  if (!created.ok) throw new Error(created.error.message);

  await hostPage(page, 'ivy-e2e', 'Ivy Host', false);
  await page.getByRole('button', { name: /^Open chat/ }).click();
  const panel = page.getByRole('dialog', { name: 'Chat' });
  await panel.getByRole('tab', { name: 'Chats' }).click();
  await panel.getByRole('button', { name: 'Find public rooms' }).click();
  await panel.getByRole('button', { name: `Join ${roomName}` }).click();
  await expect(panel.getByRole('alert')).toContainText('This needs the site’s permission');
  await expect(panel.getByRole('button', { name: `Join ${roomName}` })).toBeVisible();
  expect(errors).toEqual([]);
  owner.close();
});
