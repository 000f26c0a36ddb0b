import { randomUUID } from 'node:crypto';
import type { Page } from '@playwright/test';
import { login, TestClient } from '@parley/backend/testing';
import { MATRIX_ARCHIVE, SEARCH_HISTORY, SEARCH_TARGETS, searchFiller } from '../seed.js';
import { expect, test } from './fixtures.js';
import { baseUrl, buddy, composer, messageBodies } from './widget.js';

/**
 * Search in a conversation's history and jump to a result (issue 18): Hugo and Ines have
 * SEARCH_HISTORY messages (e2e/seed.ts); the English and the Chinese one searched for are about
 * 2,000 back from the newest, far beyond what the chat loads when it opens.
 */
const textOf = (n: number) => Object.values(SEARCH_TARGETS).find((t) => t.n === n)?.text ?? searchFiller(n);

function chat(page: Page) {
  const list = page.getByRole('list', { name: 'Messages with Ines' });
  return {
    list,
    /** The message whose text is exactly `text`. */
    message: (text: string) => list.locator('li.message').filter({ has: page.getByText(text, { exact: true }) }),
    searchButton: page.getByRole('button', { name: 'Search messages' }),
    field: page.getByRole('searchbox', { name: 'Search messages' }),
    results: page.getByRole('list', { name: 'Search results' }),
    latest: page.getByRole('button', { name: /^Jump to latest/ }),
  };
}

test(`search finds messages 2,000 back (English, and a Chinese word in a sentence) and jumps to them in context`, async ({
  signedIn,
}) => {
  test.setTimeout(120_000);
  const hugo = await signedIn('hugo');
  await buddy(hugo, 'Ines').click();
  const c = chat(hugo);
  const newest = textOf(SEARCH_HISTORY);
  await expect(messageBodies(hugo).last()).toHaveText(newest);
  await expect(messageBodies(hugo)).toHaveCount(50);

  /** Searches, checks the one result and its marked match, chooses it, and checks it is shown in its place. */
  const searchAndJump = async (target: { n: number; text: string; query: string }) => {
    await c.searchButton.click();
    await expect(c.field).toBeFocused();
    await c.field.fill(target.query);
    await c.field.press('Enter');
    const result = c.results.getByRole('button');
    await expect(result).toHaveCount(1);
    await expect(result).toContainText(target.text);
    await expect(result).toContainText(target.n % 2 ? 'You' : 'Ines');
    await expect(result.locator('mark')).toHaveText(target.query);
    await result.click();
    await expect(c.field).toHaveCount(0);

    const shown = c.message(target.text);
    await expect(shown).toHaveAttribute('aria-current', 'true');
    await expect(shown).toHaveClass(/\btarget\b/);
    await expect(shown).toBeFocused();
    await expect(shown).toBeInViewport();
    // Its neighbours are there and on screen; the newest messages are not (a window of older history).
    await expect(c.message(textOf(target.n - 1))).toBeInViewport();
    await expect(c.message(textOf(target.n + 1))).toBeInViewport();
    await expect(c.message(newest)).toHaveCount(0);
    await expect(c.latest).toBeVisible();
  };

  // English: one word of a sentence.
  await searchAndJump(SEARCH_TARGETS.english);
  // Scrolling down the window loads the newer page, scrolling up the older one.
  await c.list.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
  await expect(c.message(textOf(SEARCH_TARGETS.english.n + 60))).toHaveCount(1);
  await c.list.evaluate((el) => el.scrollTo({ top: 0 }));
  await expect(c.message(textOf(SEARCH_TARGETS.english.n - 60))).toHaveCount(1);
  await expect(c.message(SEARCH_TARGETS.english.text)).toHaveAttribute('aria-current', 'true');

  // A message that arrives meanwhile waits in the live tail, counted on the way back.
  const [ines, hugoAccount] = await Promise.all([
    login(baseUrl(), 'ines', 'ines-pass'),
    login(baseUrl(), 'hugo', 'hugo-pass'),
  ]);
  const client = await TestClient.connect(baseUrl(), ines.token);
  try {
    await client.request('message:send', {
      in: { kind: 'direct', id: hugoAccount.user.id },
      clientId: randomUUID(),
      content: { kind: 'text', text: 'Are you still up there?' },
    });
  } finally {
    client.close();
  }
  await expect(c.latest).toHaveText(/Jump to latest \(1 new\)/);
  await c.latest.click();
  await expect(c.latest).toHaveCount(0);
  await expect(c.message('Are you still up there?')).toBeInViewport();
  await expect(c.message(newest)).toHaveCount(1);
  await expect(c.message(SEARCH_TARGETS.english.text)).toHaveCount(0);

  // Chinese: a two-character word inside a sentence without spaces.
  await searchAndJump(SEARCH_TARGETS.chinese);
  await c.latest.click();
  await expect(c.message('Are you still up there?')).toBeInViewport();
  await expect(c.latest).toHaveCount(0);
});

test('search says when nothing is found, pages on with More results, and closes with Esc', async ({ signedIn }) => {
  const hugo = await signedIn('hugo');
  await buddy(hugo, 'Ines').click();
  const c = chat(hugo);
  await c.searchButton.click();
  await c.field.fill('xylophone');
  await c.field.press('Enter');
  await expect(hugo.getByRole('status').filter({ hasText: 'No messages found' })).toBeVisible();
  await expect(c.results).toHaveCount(0);

  // Typing searches by itself after a pause: "about nothing" is in every "Note" message, 20 a page.
  await c.field.fill('about nothing');
  const results = c.results.locator('.message-search-result');
  await expect(results).toHaveCount(20);
  // Newest first.
  await expect(results.first()).toContainText(textOf(SEARCH_HISTORY - 1));
  await c.results.getByRole('button', { name: 'More results' }).click();
  await expect(results).toHaveCount(40);
  await expect(hugo.getByRole('status').filter({ hasText: 'Found: 40+' })).toBeVisible();

  await c.field.press('Escape');
  await expect(c.field).toHaveCount(0);
  await expect(c.searchButton).toBeFocused();
  // The panel stayed open.
  await expect(c.list).toBeVisible();
});

test('a window of older history that reaches the newest messages becomes the chat again', async ({ signedIn }) => {
  const hugo = await signedIn('hugo');
  await buddy(hugo, 'Ines').click();
  const c = chat(hugo);
  await expect(messageBodies(hugo)).toHaveCount(50);
  // 80 back: beyond the 50 the chat loaded, so a window opens around it (25 on each side).
  const n = SEARCH_HISTORY - 80;
  await c.searchButton.click();
  await c.field.fill(`Note ${n} `);
  await c.field.press('Enter');
  await c.results.getByRole('button').click();
  await expect(c.message(textOf(n))).toHaveAttribute('aria-current', 'true');
  await expect(c.latest).toBeVisible();
  await expect(c.message(textOf(SEARCH_HISTORY))).toHaveCount(0);
  // One page down reaches what the chat holds: window and chat are one, with nothing missing between.
  await c.list.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
  await expect(c.latest).toHaveCount(0);
  // (Messages sent later, by the tests before, follow the seeded ones.)
  const seeded = Array.from({ length: SEARCH_HISTORY - (n - 25) + 1 }, (_, i) => textOf(n - 25 + i));
  await expect.poll(async () => (await messageBodies(hugo).allTextContents()).slice(0, seeded.length)).toEqual(seeded);
  await expect(c.message(textOf(n))).toHaveAttribute('aria-current', 'true');
});

test('a chat the host opens over one showing older history starts as its own: newest messages, no window, no reply', async ({
  signedIn,
}) => {
  // Tess (the matrix user, e2e/seed.ts): the room "Launch log" has 200 messages, her chat with Uma 17 and more.
  const tess = await signedIn('tess');
  const panel = tess.getByRole('dialog', { name: 'Chat' });
  await panel.getByRole('tab', { name: 'Chats' }).click();
  await panel.getByRole('button', { name: new RegExp(`^${MATRIX_ARCHIVE.room}`) }).click();
  const room = panel.getByRole('list', { name: `Messages with ${MATRIX_ARCHIVE.room}` });
  // A reply begun, then a jump to the oldest result: a window of older history, scrolled to it.
  const newest = room.locator('li.message').last();
  await newest.hover();
  await newest.getByRole('button', { name: 'Message actions' }).click();
  await newest.getByRole('menuitem', { name: 'Reply' }).click();
  await expect(panel.getByRole('group', { name: /^Replying to / })).toBeVisible();
  await panel.getByRole('button', { name: 'Search messages' }).click();
  const field = panel.getByRole('searchbox', { name: 'Search messages' });
  await field.fill(MATRIX_ARCHIVE.query);
  await field.press('Enter');
  await panel.getByRole('list', { name: 'Search results' }).getByRole('button').last().click();
  await expect(room.locator('li.target')).toBeFocused();
  const latest = panel.getByRole('button', { name: /^Jump to latest/ });
  await expect(latest).toBeVisible();

  // The host page opens the chat with Uma in the same panel.
  await tess.evaluate(() => window.Parley!('openChat', 'uma'));
  const uma = panel.getByRole('list', { name: /^Messages with Uma/ });
  await expect(uma.locator('li.message')).not.toHaveCount(0);
  await expect(uma.locator('li.message').last()).toBeInViewport();
  await expect(latest).toHaveCount(0);
  await expect(panel.getByRole('group', { name: /^Replying to / })).toHaveCount(0);
  await expect(composer(tess, 'Uma Wolfeschlegelsteinhausenbergerdorff')).toBeFocused();
  // Back in the room: the newest messages again, not the window.
  await panel.getByRole('button', { name: 'Back', exact: true }).click();
  await panel.getByRole('tab', { name: 'Chats' }).click();
  await panel.getByRole('button', { name: new RegExp(`^${MATRIX_ARCHIVE.room}`) }).click();
  await expect(room.getByText('Log 200:')).toBeInViewport();
  await expect(latest).toHaveCount(0);
});
