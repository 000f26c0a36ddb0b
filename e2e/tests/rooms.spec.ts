import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.js';
import { composer, sendMessage } from './widget.js';

const chatsTab = (page: Page) => page.getByRole('tab', { name: /^Chats/ });
const roomMessages = (page: Page) => page.getByRole('list', { name: 'Messages with Trip planning' });

test('three users chat in a room; a mention notifies the mentioned one', async ({ signedIn }) => {
  const jack = await signedIn('jack');
  const kate = await signedIn('kate');
  const liam = await signedIn('liam');
  // The host page listens for mentions through the host API.
  await liam.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { mentions: string[] }).mentions = seen;
    window.Parley!('on', 'mention', (e) =>
      seen.push((e as { message: { content: { text: string } } }).message.content.text),
    );
  });

  // Jack makes a room and invites both buddies from its member list.
  await chatsTab(jack).click();
  await jack.getByRole('textbox', { name: 'Room name' }).fill('Trip planning');
  await jack.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(composer(jack, 'Trip planning')).toBeVisible();
  await jack.getByRole('button', { name: 'Members' }).click();
  const members = jack.getByRole('region', { name: 'Members' });
  for (const name of ['Kate', 'Liam']) {
    await members.getByRole('combobox', { name: 'Invite a buddy' }).selectOption({ label: name });
    await members.getByRole('button', { name: 'Invite', exact: true }).click();
    // An invitee shows no presence in the room until they accept (issue 12, finding 3).
    const row = members.getByRole('listitem').filter({ hasText: name });
    await expect(row).toContainText('invited');
    await expect(row).not.toContainText('Online');
  }

  // Both accept from their invitations.
  for (const page of [kate, liam]) {
    await chatsTab(page).click();
    await page
      .getByRole('region', { name: 'Invitations' })
      .getByRole('button', { name: 'Accept Trip planning' })
      .click();
    await expect(composer(page, 'Trip planning')).toBeVisible();
  }
  await expect(members.getByRole('listitem').filter({ hasText: 'Liam' })).not.toContainText('invited');
  await expect(jack.locator('.chat-header')).toContainText('3 of 3 online');

  // Everyone sees everyone's messages, with the sender's name, as text.
  await sendMessage(jack, 'Trip planning', 'Hello everyone');
  await expect(roomMessages(kate).locator('li.message').last()).toContainText('JackHello everyone');
  await expect(roomMessages(liam).locator('li.message').last()).toContainText('JackHello everyone');
  // Both have the room open, so both have read it: Jack sees who has seen his message.
  await expect(roomMessages(jack).locator('li.message.mine').last()).toContainText(/Seen by (Kate, Liam|Liam, Kate)/);
  await sendMessage(kate, 'Trip planning', 'Hi from <b>Kate</b>');
  await expect(roomMessages(jack).locator('li.message .body').last()).toHaveText('Hi from <b>Kate</b>');
  await expect(roomMessages(liam).locator('li.message .body').last()).toHaveText('Hi from <b>Kate</b>');

  // Typing shows in the room with the typer's name, for one or several, and ends with the message.
  await composer(kate, 'Trip planning').fill('Shall we');
  await expect(liam.locator('li.typing')).toHaveText('Kate is typing…');
  await expect(kate.locator('li.typing')).toHaveCount(0);
  await composer(jack, 'Trip planning').fill('Maybe');
  await expect(liam.locator('li.typing')).toHaveText('Kate, Jack are typing…');
  await composer(kate, 'Trip planning').press('Enter');
  await expect(liam.locator('li.typing')).toHaveText('Jack is typing…');
  await composer(jack, 'Trip planning').fill('');
  await expect(liam.locator('li.typing')).toHaveCount(0);

  // Liam steps back to the list; Jack mentions him.
  await liam.getByRole('button', { name: 'Back', exact: true }).click();
  await chatsTab(liam).click();
  await sendMessage(jack, 'Trip planning', '@liam can you book the hotel?');
  const row = liam.getByRole('list', { name: 'Chats' }).getByRole('button', { name: /^Trip planning/ });
  await expect(row).toContainText('@ you');
  await expect(row).toContainText('1 unread');
  await expect
    .poll(() => liam.evaluate(() => (window as unknown as { mentions: string[] }).mentions))
    .toEqual(['@liam can you book the hotel?']);
  // Kate, not mentioned, gets the message without the mark.
  await expect(roomMessages(kate).locator('li.message').last()).toContainText('@liam can you book the hotel?');
  await expect(roomMessages(kate).locator('li.message.mention')).toHaveCount(0);

  // Opening the room shows the mention highlighted and clears the marks.
  await row.click();
  const mention = roomMessages(liam).locator('li.message.mention');
  await expect(mention).toHaveCount(1);
  await expect(mention).toContainText('@ you');
  await liam.getByRole('button', { name: 'Back', exact: true }).click();
  await expect(row).not.toContainText('@ you');
});
