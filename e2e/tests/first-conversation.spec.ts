import { expect, test } from '@playwright/test';
import { buddy, messageBodies, openDemo, signIn } from './widget.js';

test('alice and bob chat; messages sent while bob is away reach him in order, once', async ({ browser }) => {
  const aliceContext = await browser.newContext();
  const bobContext = await browser.newContext();
  const alice = await aliceContext.newPage();
  let bob = await bobContext.newPage();

  await openDemo(alice);
  await signIn(alice, 'alice');
  await openDemo(bob);
  await signIn(bob, 'bob');

  // Alice sees Bob online.
  await expect(buddy(alice, 'Bob Marley')).toContainText('Online');

  // Alice writes; Bob sees it without reloading.
  await buddy(alice, 'Bob Marley').click();
  const composer = alice.getByRole('textbox', { name: 'Message to Bob Marley' });
  await composer.fill('Hi Bob, first message');
  await composer.press('Enter');
  await expect(alice.locator('li.message.mine[data-state="sent"]')).toHaveCount(1);
  await expect(buddy(bob, 'Alice Liddell')).toContainText('1 unread');
  await expect(bob.getByRole('button', { name: 'Open chat, 1 unread' })).toHaveCount(0); // panel is open
  await buddy(bob, 'Alice Liddell').click();
  await expect(messageBodies(bob)).toHaveText(['Hi Bob, first message']);

  // Bob closes his page; Alice sees him go offline (after the grace period) and writes twice more.
  await bob.close();
  await alice.getByRole('button', { name: 'Back', exact: true }).click();
  await expect(buddy(alice, 'Bob Marley')).toContainText('Offline');
  await buddy(alice, 'Bob Marley').click();
  await composer.fill('Second, while you were away');
  await composer.press('Enter');
  await composer.fill('Third, also while away');
  await composer.press('Enter');
  await expect(alice.locator('li.message.mine[data-state="sent"]')).toHaveCount(3);

  // Bob opens the page again: his session resumes, the two waiting messages arrive as unread.
  bob = await bobContext.newPage();
  await openDemo(bob);
  await expect(bob.getByRole('button', { name: 'Open chat, 2 unread' })).toBeVisible();
  await bob.getByRole('button', { name: 'Open chat, 2 unread' }).click();
  await expect(buddy(bob, 'Alice Liddell')).toContainText('2 unread');

  // Alice sees Bob come back.
  await alice.getByRole('button', { name: 'Back', exact: true }).click();
  await expect(buddy(alice, 'Bob Marley')).toContainText('Online');

  // He signs out and in again, opens the chat: all three, in order, once.
  await bob.getByRole('button', { name: 'Status and settings' }).click();
  await bob.getByRole('button', { name: 'Sign out' }).click();
  await signIn(bob, 'bob');
  await buddy(bob, 'Alice Liddell').click();
  await expect(messageBodies(bob)).toHaveText([
    'Hi Bob, first message',
    'Second, while you were away',
    'Third, also while away',
  ]);

  // A fresh browser (no stored session or cursor) shows the same conversation after signing in.
  const elsewhereContext = await browser.newContext();
  const elsewhere = await elsewhereContext.newPage();
  await openDemo(elsewhere);
  await signIn(elsewhere, 'bob');
  await buddy(elsewhere, 'Alice Liddell').click();
  await expect(messageBodies(elsewhere)).toHaveText([
    'Hi Bob, first message',
    'Second, while you were away',
    'Third, also while away',
  ]);

  await aliceContext.close();
  await bobContext.close();
  await elsewhereContext.close();
});
