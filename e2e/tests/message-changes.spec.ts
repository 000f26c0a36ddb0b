import { rmSync } from 'node:fs';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { spawnServer, tempDir, type ServerProcess } from '@parley/backend/testing';
import { buddy, messageBodies, sendMessage, signIn } from './widget.js';

/**
 * Issue 18, must-show: alice edits, replies to, reacts to and deletes messages in her chat with bob;
 * bob's open page follows each change live, and his second device, offline meanwhile, catches up
 * through its inbox to exactly the same state. Its own server, so the chat starts empty.
 */
let dir: string;
let server: ServerProcess;
test.beforeAll(async () => {
  dir = tempDir();
  server = await spawnServer(dir);
});
test.afterAll(async () => {
  server.child.kill('SIGKILL');
  await server.exited;
  rmSync(dir, { recursive: true, force: true });
});

const ALICE = 'Alice Liddell';
const BOB = 'Bob Marley';

/** The chat as its reader sees it: per message, the text, the edited mark, the quote, the reaction chips. */
function rendered(page: Page) {
  return page.locator('li.message').evaluateAll((items) =>
    items.map((li) => ({
      text: li.querySelector(':scope > .body, :scope > .file-message')?.textContent ?? '',
      deleted: li.querySelector(':scope > .body.deleted') !== null,
      edited: li.querySelector('.meta .edited')?.textContent ?? '',
      quote: li.querySelector(':scope > .quote')?.textContent ?? '',
      reactions: [...li.querySelectorAll('.reactions .chip')].map(
        (chip) => `${chip.getAttribute('aria-label')} pressed=${chip.getAttribute('aria-pressed')}`,
      ),
    })),
  );
}

const message = (page: Page, text: string) => page.locator('li.message').filter({ hasText: text });

/** Opens a message's actions menu the way a mouse user does (hover, then the ⋯ button). */
async function actions(item: Locator): Promise<Locator> {
  await item.hover();
  await item.getByRole('button', { name: 'Message actions' }).click();
  const menu = item.getByRole('menu', { name: 'Message actions' });
  await expect(menu).toBeVisible();
  return menu;
}

test('edits, a reply, reactions and a deletion reach bob’s open page live and his offline device on return', async ({
  browser,
}) => {
  // Some forty steps on three pages: a minute on a quiet machine, several while other suites share the cores.
  test.setTimeout(300_000);
  const url = server.url;
  const aliceContext = await browser.newContext();
  const bobContext = await browser.newContext();
  const bobElsewhereContext = await browser.newContext();
  const alice = await aliceContext.newPage();
  const bob = await bobContext.newPage();
  let elsewhere = await bobElsewhereContext.newPage();
  for (const [page, user] of [
    [alice, 'alice'],
    [bob, 'bob'],
    [elsewhere, 'bob'],
  ] as const) {
    await page.goto(url);
    await signIn(page, user);
  }
  await buddy(alice, BOB).click();
  const texts = ['first, with a typo', 'second, to be answered', 'third, to react to', 'fourth, to delete'];
  for (const text of texts) await sendMessage(alice, BOB, text);
  await expect(alice.locator('li.message.mine[data-state="sent"]')).toHaveCount(4);
  for (const page of [bob, elsewhere]) {
    await buddy(page, ALICE).click();
    await expect(messageBodies(page)).toHaveText(texts);
  }

  // Bob's second device goes away (the page closes; its browser keeps his session and inbox position).
  await elsewhere.close();

  // An edit: the new text and an "edited" mark, live on bob's page.
  let menu = await actions(message(alice, texts[0]!));
  await menu.getByRole('menuitem', { name: 'Edit' }).click();
  await expect(alice.getByRole('group', { name: 'Editing message' })).toBeVisible();
  const box = alice.getByRole('textbox', { name: `Message to ${BOB}` });
  await expect(box).toHaveValue(texts[0]!);
  await box.fill('first, typo fixed');
  await box.press('Enter');
  await expect(alice.getByRole('group', { name: 'Editing message' })).toHaveCount(0);
  await expect(message(bob, 'first, typo fixed').locator('.edited')).toHaveText('edited');
  await expect(message(bob, 'first, with a typo')).toHaveCount(0);
  // The sender reads her earlier text.
  await message(alice, 'first, typo fixed').getByRole('button', { name: 'edited' }).click();
  await expect(alice.getByRole('group', { name: 'Earlier versions' })).toContainText('first, with a typo');

  // A reply quoting the second message.
  menu = await actions(message(alice, texts[1]!));
  await menu.getByRole('menuitem', { name: 'Reply' }).click();
  await expect(alice.getByRole('group', { name: 'Replying to You' })).toContainText(texts[1]!);
  await sendMessage(alice, BOB, 'this answers the second');
  const reply = message(bob, 'this answers the second');
  await expect(reply.locator('.quote')).toHaveText(`${ALICE}${texts[1]}`);

  // Reactions: one set, one set and taken back (nothing left of it), one on the reply.
  menu = await actions(message(alice, texts[2]!));
  await menu.getByRole('menuitemcheckbox', { name: 'React with 👍' }).click();
  await expect(message(bob, texts[2]!).locator('.chip')).toHaveAttribute('aria-label', `👍 1: ${ALICE}`);
  menu = await actions(message(alice, texts[1]!).first());
  await menu.getByRole('menuitemcheckbox', { name: 'React with ❤️' }).click();
  await expect(message(bob, texts[1]!).first().locator('.chip')).toHaveAttribute('aria-label', `❤️ 1: ${ALICE}`);
  // The chip itself toggles: pressed for her, and pressing it takes her reaction back.
  const heart = message(alice, texts[1]!).first().getByRole('button', { name: /^❤️ 1/ });
  await expect(heart).toHaveAttribute('aria-pressed', 'true');
  await heart.click();
  await expect(message(bob, texts[1]!).first().locator('.chip')).toHaveCount(0);
  menu = await actions(message(alice, 'this answers the second'));
  await menu.getByRole('menuitemcheckbox', { name: 'React with 🙏' }).click();
  await expect(reply.locator('.chip')).toHaveAttribute('aria-label', `🙏 1: ${ALICE}`);

  // Deleted for everyone: a tombstone in its place.
  menu = await actions(message(alice, texts[3]!));
  await menu.getByRole('menuitem', { name: 'Delete for everyone' }).click();
  await menu.getByRole('menuitem', { name: 'Delete for everyone? Click again' }).click();
  await expect(message(alice, texts[3]!)).toHaveCount(0);
  await expect(bob.locator('li.message .body.deleted')).toHaveText('Message deleted');
  await expect(message(bob, texts[3]!)).toHaveCount(0);

  // Bob reacts too, and sees his own chip pressed, her name and "You" in its title.
  menu = await actions(message(bob, texts[2]!));
  await menu.getByRole('menuitemcheckbox', { name: 'React with 👍' }).click();
  await expect(message(bob, texts[2]!).locator('.chip')).toHaveAttribute('aria-label', `👍 2: ${ALICE}, You`);
  await expect(message(bob, texts[2]!).locator('.chip')).toHaveAttribute('aria-pressed', 'true');

  const expected = [
    { text: 'first, typo fixed', deleted: false, edited: 'edited', quote: '', reactions: [] },
    { text: texts[1], deleted: false, edited: '', quote: '', reactions: [] },
    { text: texts[2], deleted: false, edited: '', quote: '', reactions: [`👍 2: ${ALICE}, You pressed=true`] },
    { text: 'Message deleted', deleted: true, edited: '', quote: '', reactions: [] },
    {
      text: 'this answers the second',
      deleted: false,
      edited: '',
      quote: `${ALICE}${texts[1]}`,
      reactions: [`🙏 1: ${ALICE} pressed=false`],
    },
  ];
  await expect.poll(() => rendered(bob)).toEqual(expected);

  // Bob's second device comes back: it catches up from its inbox and shows the same.
  elsewhere = await bobElsewhereContext.newPage();
  await elsewhere.goto(url);
  await elsewhere.getByRole('button', { name: /^Open chat/ }).click();
  await buddy(elsewhere, ALICE).click();
  await expect.poll(() => rendered(elsewhere)).toEqual(expected);
  // A reload of his open page: the same again, now from the server's history rather than live changes.
  await bob.reload();
  await bob.getByRole('button', { name: /^Open chat/ }).click();
  await buddy(bob, ALICE).click();
  await expect.poll(() => rendered(bob)).toEqual(expected);
  // The quote jumps to the original (loaded here): it is focused and highlighted.
  await message(elsewhere, 'this answers the second')
    .getByRole('button', { name: `${ALICE} ${texts[1]}` })
    .click();
  await expect(message(elsewhere, texts[1]!).first()).toBeFocused();

  // Deleted for bob only, on one of his pages: it leaves his other page, and stays for alice.
  menu = await actions(message(elsewhere, texts[2]!));
  await menu.getByRole('menuitem', { name: 'Delete for me' }).click();
  await expect(message(elsewhere, texts[2]!)).toHaveCount(0);
  await expect(message(bob, texts[2]!)).toHaveCount(0);
  await expect(message(alice, texts[2]!)).toHaveCount(1);
  await expect.poll(() => rendered(bob)).toEqual(expected.filter((m) => m.text !== texts[2]));
  await expect.poll(() => rendered(elsewhere)).toEqual(expected.filter((m) => m.text !== texts[2]));

  await aliceContext.close();
  await bobContext.close();
  await bobElsewhereContext.close();
});
