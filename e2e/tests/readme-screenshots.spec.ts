import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { v7 as uuidv7 } from 'uuid';
import {
  directConversationId,
  hashPassword,
  login,
  migrate,
  seedDemoSite,
  spawnServer,
  tempDir,
  TestClient,
  uploadFile,
  withStore,
  type ServerProcess,
  type WriteItem,
} from '@parley/backend/testing';
import { pngBytes } from './media.js';

/**
 * The README's screenshots (docs/screenshots/*.png), made from the real widget on the demo page so
 * they stay current: the buddy list (light), a conversation with a picture (light and dark), and
 * the same conversation with a reply and reactions. Run it after a change to the UI:
 *
 *     npm run build && npx playwright test -c e2e tests/readme-screenshots.spec.ts
 *
 * and commit the files that changed. They are repeatable, so they change only when the UI does:
 * the people and texts are fixed, the page's clock is frozen (Playwright's clock), the seeded
 * messages have fixed times, and the server's own clock (e2e/slow-clock.mjs) starts at the same
 * instant and runs a thousand times slower, so the messages sent over the wire during the run
 * (the picture, the reply) carry the same minute every time.
 *
 * The reply and the reactions are made through the socket protocol (message:send with `replyTo`,
 * message:react); the last shot needs the server and the widget that handle them (branches chg, wui).
 */
const SHOTS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const CLOCK_MODULE = pathToFileURL(fileURLToPath(new URL('../slow-clock.mjs', import.meta.url))).href;
/** The instant the page's clock is frozen at and the server's starts from (UTC, as the page's time zone). */
const NOW = new Date('2026-05-12T09:41:00Z');
const VIEWPORT = { width: 900, height: 720 };

const PEOPLE = {
  maya: 'Maya Chen',
  leo: 'Leo Park',
  ana: 'Ana Souza',
  omar: 'Omar Haddad',
  kim: 'Kim Lee',
} as const;
type Person = keyof typeof PEOPLE;
const id = (person: Person) => `${person}-id`;

/** Leo and Maya's morning so far, stored with fixed times (minutes before NOW). */
const HISTORY: [Person, number, string][] = [
  ['leo', 14, 'Morning! Did the chat go live on the shop?'],
  ['maya', 12, 'It did, last night 🎉 Try the button in the corner.'],
  ['leo', 11, 'Found it. Customers are already writing in.'],
  ['maya', 9, 'Here is what the first hour looked like:'],
];
const CAPTION = 'Questions per hour, since launch';
const REPLY = 'That curve! Let’s show it at Friday’s demo.';

let server: ServerProcess;
let dir: string;
const clients: Partial<Record<Person, TestClient>> = {};

test.describe.configure({ timeout: 180_000 });

test.beforeAll(async () => {
  test.setTimeout(180_000);
  dir = tempDir();
  const target = { kind: 'sqlite' as const, url: join(dir, 'parley.db') };
  await migrate(target);
  await withStore(target, async (store) => {
    await seedDemoSite(store);
    for (const person of Object.keys(PEOPLE) as Person[]) {
      await store.createUser({
        id: id(person),
        siteId: 'demo',
        username: person,
        displayName: PEOPLE[person],
        avatarUrl: null,
        passwordHash: await hashPassword(`${person}-pass`),
      });
      if (person !== 'maya') await store.setBuddies(id('maya'), id(person), 'accepted');
    }
    const items: WriteItem[] = HISTORY.map(([from, minutesAgo, body], i) => {
      const createdAt = new Date(NOW.getTime() - minutesAgo * 60_000);
      const to: Person = from === 'maya' ? 'leo' : 'maya';
      return {
        type: 'message',
        message: {
          id: uuidv7({ msecs: createdAt.getTime() }),
          siteId: 'demo',
          senderId: id(from),
          recipientId: id(to),
          conversationId: directConversationId(id(from), id(to)),
          clientId: `readme-${i}`,
          body,
          createdAt,
        },
      };
    });
    await store.append(items);
  });
  server = await spawnServer(dir, {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${CLOCK_MODULE}`.trim(),
    PARLEY_E2E_CLOCK_START: String(NOW.getTime()),
  });
  // Maya's buddies, online with a status (Kim stays offline).
  const presence: [Person, string, string?][] = [
    ['leo', 'online', 'At the workshop'],
    ['ana', 'away', 'Lunch, back at 2'],
    ['omar', 'busy', 'In a call'],
  ];
  for (const [person, state, status] of presence) {
    const client = await TestClient.connect(server.url, (await login(server.url, person, `${person}-pass`)).token);
    clients[person] = client;
    await client.ok('presence:set', { state, ...(status ? { status } : {}) });
  }
  // Maya's picture, uploaded and sent over the wire (the server makes its thumbnail).
  const { token } = await login(server.url, 'maya', 'maya-pass');
  const maya = await TestClient.connect(server.url, token);
  const picture = await uploadFile(server, token, pngBytes(480, 300), {
    name: 'questions-per-hour.png',
    conversation: `direct:${id('leo')}`,
  });
  expect(picture.status).toBe(204);
  await maya.ok('message:send', {
    in: { kind: 'direct', id: id('leo') },
    clientId: uuidv7(),
    content: { kind: 'file', fileId: picture.id, text: CAPTION },
  });
  maya.close();
});

test.afterAll(async () => {
  for (const client of Object.values(clients)) client?.close();
  if (server) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Waits for fonts, images and two frames, then saves the widget's corner of the page. */
async function shoot(page: Page, name: string): Promise<void> {
  // The pointer off the widget: no hover highlight in the picture.
  await page.mouse.move(1, 1);
  await page.evaluate(async () => {
    await document.fonts.ready;
    const root = document.querySelector('[data-parley]')!.shadowRoot!;
    await Promise.all(
      [...root.querySelectorAll('img')].map((img) => (img.complete ? null : img.decode().catch(() => null))),
    );
    // The conversation at its end, as a reader who just got the last message sees it.
    const list = root.querySelector('.messages');
    if (list) list.scrollTop = list.scrollHeight;
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  });
  const box = await page.evaluate(() => {
    const r = document.querySelector('[data-parley]')!.shadowRoot!.querySelector('.parley')!.getBoundingClientRect();
    return { x: r.x, y: r.y };
  });
  // From a margin left of and above the widget (its shadow) to the corner of the page.
  const x = Math.max(0, Math.floor(box.x) - 28);
  const y = Math.max(0, Math.floor(box.y) - 28);
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({
    path: join(SHOTS, `${name}.png`),
    clip: { x, y, width: VIEWPORT.width - x, height: VIEWPORT.height - y },
    // The caret blinks; hide it so the files do not change from one run to the next.
    caret: 'hide',
    animations: 'disabled',
  });
}

test('the README screenshots: buddy list, a conversation with a picture (light, dark), a reply and reactions', async ({
  browser,
}) => {
  const context = await browser.newContext({
    viewport: VIEWPORT,
    deviceScaleFactor: 1,
    locale: 'en-US',
    timezoneId: 'UTC',
    colorScheme: 'light',
    reducedMotion: 'reduce',
  });
  const page = await context.newPage();
  try {
    await page.clock.setFixedTime(NOW);
    await page.goto(server.url);
    await page.getByRole('button', { name: /^Open chat/ }).click();
    const panel = page.getByRole('dialog', { name: 'Chat' });
    await panel.getByLabel('Username').fill('maya');
    await panel.getByLabel('Password').fill('maya-pass');
    await panel.getByRole('button', { name: 'Sign in' }).click();
    const buddies = panel.getByRole('navigation', { name: 'Buddies' });
    await expect(buddies.getByRole('button', { name: /^Leo Park/ })).toContainText('At the workshop');
    await expect(buddies.getByRole('button', { name: /^Omar Haddad/ })).toContainText('In a call');
    // Nothing focused: no focus ring in the picture.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await shoot(page, 'buddy-list-light');

    await buddies.getByRole('button', { name: /^Leo Park/ }).click();
    const list = panel.getByRole('list', { name: 'Messages with Leo Park' });
    const picture = list.locator('li.message', { hasText: CAPTION });
    await expect(picture.getByRole('img', { name: 'questions-per-hour.png' })).toHaveJSProperty('complete', true);
    await expect(list.locator('li.message')).toHaveCount(HISTORY.length + 1);
    await blur(panel);
    await shoot(page, 'conversation-picture-light');

    await page.evaluate(() => window.Parley!('setTheme', { mode: 'dark' }));
    await expect(page.locator('[data-parley]')).toHaveAttribute('data-mode', 'dark');
    await shoot(page, 'conversation-picture-dark');
    await page.evaluate(() => window.Parley!('setTheme', { mode: null } as never));

    // Leo replies to the picture and reacts to it; Maya reacts to his first message.
    const leo = clients.leo!;
    const mayaAgain = await TestClient.connect(server.url, (await login(server.url, 'maya', 'maya-pass')).token);
    clients.maya = mayaAgain;
    const history = await leo.ok('message:history', { in: { kind: 'direct', id: id('maya') } });
    const shared = history.messages.find((m) => m.content.kind === 'file')!;
    const first = history.messages.find((m) => 'text' in m.content && m.content.text === HISTORY[0]![2])!;
    await leo.ok('message:send', {
      in: { kind: 'direct', id: id('maya') },
      clientId: uuidv7(),
      content: { kind: 'text', text: REPLY },
      replyTo: shared.id,
    });
    await leo.ok('message:react', {
      in: { kind: 'direct', id: id('maya') },
      messageId: shared.id,
      emoji: '❤️',
      on: true,
    });
    await leo.ok('message:react', {
      in: { kind: 'direct', id: id('maya') },
      messageId: shared.id,
      emoji: '👍',
      on: true,
    });
    await mayaAgain.ok('message:react', {
      in: { kind: 'direct', id: id('leo') },
      messageId: first.id,
      emoji: '😂',
      on: true,
    });
    const reply = list.locator('li.message', { hasText: REPLY });
    await expect(reply).toBeVisible();
    // The reply quotes the picture; the reactions show on their messages.
    await expect(reply).toContainText('📷 Photo');
    await expect(picture).toContainText('❤️');
    await expect(list.locator('li.message').filter({ hasText: HISTORY[0]![2] })).toContainText('😂');
    await blur(panel);
    await shoot(page, 'conversation-reply-reactions-light');
  } finally {
    await context.close();
  }
});

/** Takes the focus out of the panel (no ring, no caret) without closing anything. */
async function blur(panel: Locator): Promise<void> {
  await panel.evaluate(() => {
    const root = document.querySelector('[data-parley]')!.shadowRoot!;
    (root.activeElement as HTMLElement | null)?.blur();
  });
}
