import AxeBuilder from '@axe-core/playwright';
import { expect, test } from './fixtures.js';
import { HISTORY_SIZE } from '../seed.js';
import { buddy, composer, messageBodies, openDemo, sendMessage, signIn } from './widget.js';

test('add a buddy by search; the other accepts; both see each other online', async ({ signedIn }) => {
  const dave = await signedIn('dave');
  const erin = await signedIn('erin');
  await dave.getByRole('searchbox', { name: 'Search people' }).fill('eri');
  await dave.getByRole('button', { name: 'Search', exact: true }).click();
  await dave.getByRole('button', { name: 'Add Erin' }).click();
  await expect(dave.getByRole('region', { name: 'Requests' })).toContainText('Request sent');

  const requests = erin.getByRole('region', { name: 'Requests' });
  await expect(requests).toContainText('Dave');
  await requests.getByRole('button', { name: 'Accept Dave' }).click();
  await expect(buddy(erin, 'Dave')).toContainText('Online');
  await expect(buddy(dave, 'Erin')).toContainText('Online');
  await expect(dave.getByRole('region', { name: 'Requests' })).toHaveCount(0);
});

test('chat with typing and read marks; status and profile changes reach the buddy; sign out', async ({ signedIn }) => {
  const alice = await signedIn('alice');
  const carol = await signedIn('carol');
  await buddy(alice, 'Carol Danvers').click();
  await buddy(carol, 'Alice Liddell').click();

  // Typing shows on the other side, then the message arrives and is marked read.
  await composer(alice, 'Carol Danvers').pressSequentially('Are you com');
  await expect(carol.getByRole('status').filter({ hasText: 'Alice Liddell is typing…' })).toBeVisible();
  await composer(alice, 'Carol Danvers').pressSequentially('ing tonight?');
  await composer(alice, 'Carol Danvers').press('Enter');
  await expect(messageBodies(carol).last()).toHaveText('Are you coming tonight?');
  await expect(alice.locator('li.message.mine').last()).toContainText('Read');

  // Shift+Enter adds a line instead of sending.
  const box = composer(carol, 'Alice Liddell');
  await box.fill('Yes!');
  await box.press('Shift+Enter');
  await box.pressSequentially('See you at 8');
  await box.press('Enter');
  await expect(messageBodies(alice).last()).toHaveText('Yes!\nSee you at 8');

  // Status: Carol goes busy with a note; Alice sees it.
  await carol.getByRole('button', { name: 'Status and settings' }).click();
  await carol.getByRole('radio', { name: 'Busy' }).check();
  await carol.getByRole('textbox', { name: 'Status message' }).fill('In a meeting');
  await carol.getByRole('button', { name: 'Save' }).click();
  await alice.getByRole('button', { name: 'Back', exact: true }).click();
  await expect(buddy(alice, 'Carol Danvers')).toContainText('Busy · In a meeting');

  // Profile: a new name and picture reach Alice's list live; a picture that is not https is refused.
  await carol.getByRole('button', { name: 'Status and settings' }).click();
  const profile = carol.getByRole('group', { name: 'Profile' });
  await profile.getByRole('textbox', { name: 'Display name' }).fill('Captain Carol');
  await profile.getByRole('textbox', { name: /^Picture/ }).fill('http://pictures.example/carol.png');
  await profile.getByRole('button', { name: 'Update profile' }).click();
  await expect(profile.getByRole('status')).toContainText('https://');
  await expect(buddy(alice, 'Carol Danvers')).toBeVisible();
  await profile.getByRole('textbox', { name: /^Picture/ }).fill('https://pictures.example/carol.png');
  await profile.getByRole('button', { name: 'Update profile' }).click();
  await expect(profile.getByRole('status')).toHaveText('Saved');
  await expect(buddy(alice, 'Captain Carol')).toContainText('Busy · In a meeting');
  await expect(buddy(alice, 'Captain Carol').locator('img')).toHaveAttribute(
    'src',
    'https://pictures.example/carol.png',
  );

  // E-mail: a new address waits for confirmation (this server sends no e-mail, and says so).
  const mail = carol.getByRole('group', { name: 'E-mail' });
  await mail.getByRole('textbox', { name: 'E-mail address' }).fill('carol@mail.example');
  await mail.getByRole('button', { name: 'Update e-mail settings' }).click();
  await expect(mail).toContainText('Waiting for confirmation');
  await mail.getByRole('button', { name: 'Send again' }).click();
  await expect(mail).toContainText('does not send e-mail');
  await carol.getByRole('button', { name: 'Status and settings' }).click();

  // Sign out: back to the sign-in form, and Alice sees Carol leave.
  await carol.getByRole('button', { name: 'Status and settings' }).click();
  await carol.getByRole('button', { name: 'Sign out' }).click();
  await expect(carol.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await expect(buddy(alice, 'Captain Carol')).toContainText('Offline');
});

test(`scroll back through ${HISTORY_SIZE} messages of history`, async ({ signedIn }) => {
  const finn = await signedIn('finn');
  await buddy(finn, 'Gwen').click();
  const list = finn.getByRole('list', { name: 'Messages with Gwen' });
  await expect(messageBodies(finn).last()).toHaveText(`history ${HISTORY_SIZE}`);
  await expect(messageBodies(finn)).toHaveCount(50);
  // Scrolling to the top loads the page before, until the first message is there.
  for (let i = 0; i < 10 && (await messageBodies(finn).count()) < HISTORY_SIZE; i++) {
    const before = await messageBodies(finn).count();
    await list.evaluate((el) => el.scrollTo({ top: 0 }));
    await expect.poll(() => messageBodies(finn).count()).toBeGreaterThan(before);
  }
  await expect(messageBodies(finn)).toHaveCount(HISTORY_SIZE);
  const bodies = await messageBodies(finn).allTextContents();
  expect(bodies).toEqual(Array.from({ length: HISTORY_SIZE }, (_, i) => `history ${i + 1}`));
  await list.evaluate((el) => el.scrollTo({ top: 0 }));
  await expect(messageBodies(finn).first()).toBeInViewport();
});

test('two tabs of one user stay in sync on unread counts', async ({ browser, signedIn }) => {
  const bobContext = await browser.newContext();
  const tab1 = await bobContext.newPage();
  await openDemo(tab1);
  await signIn(tab1, 'bob');
  const tab2 = await bobContext.newPage();
  await openDemo(tab2); // the same session, resumed
  const alice = await signedIn('alice');
  await tab1.getByRole('button', { name: 'Close chat' }).first().click();

  await buddy(alice, 'Bob Marley').click();
  await sendMessage(alice, 'Bob Marley', 'Unread in both tabs?');
  for (const tab of [tab1, tab2]) await expect(tab.getByRole('button', { name: 'Open chat, 1 unread' })).toBeVisible();
  await expect(tab2).toHaveTitle(/^\(1\) /);

  await tab1.getByRole('button', { name: 'Open chat, 1 unread' }).click();
  await buddy(tab1, 'Alice Liddell').click();
  await expect(messageBodies(tab1).last()).toHaveText('Unread in both tabs?');
  await expect(tab2.getByRole('button', { name: 'Open chat' })).toBeVisible();
  await expect(tab2).not.toHaveTitle(/^\(\d+\) /);
  await bobContext.close();
});

test('message text with HTML, scripts and javascript: links shows as text and runs nothing', async ({ signedIn }) => {
  const hank = await signedIn('hank');
  const iris = await signedIn('iris');
  const hostile = [
    '<img src=x onerror="window.__xss=1">',
    '<script>window.__xss=2</script>',
    '<a href="javascript:window.__xss=3">click</a>',
    'javascript:window.__xss=4',
    'data:text/html,<script>window.__xss=5</script>',
    '<svg onload="window.__xss=6"></svg>',
    'fine link https://example.org/page?q=1.',
  ].join(' ');
  await buddy(hank, 'Iris').click();
  await sendMessage(hank, 'Iris', hostile);
  await buddy(iris, 'Hank').click();
  const shown = messageBodies(iris).last();
  await expect(shown).toHaveText(hostile);
  const inside = await shown.evaluate((el) => ({
    elements: [...el.querySelectorAll('*')].map((e) => e.tagName.toLowerCase()),
    links: [...el.querySelectorAll('a')].map((a) => ({ href: a.getAttribute('href'), rel: a.getAttribute('rel') })),
  }));
  expect(inside.elements).toEqual(['a']);
  expect(inside.links).toEqual([{ href: 'https://example.org/page?q=1', rel: 'noopener noreferrer nofollow' }]);
  for (const page of [hank, iris])
    expect(await page.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined();
});

test('the open panel has no serious or critical accessibility issues', async ({ signedIn }) => {
  const alice = await signedIn('alice');
  const scan = async () => {
    const results = await new AxeBuilder({ page: alice }).include('[data-parley]').analyze();
    return results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  };
  expect(await scan()).toEqual([]);
  await buddy(alice, 'Bob Marley').click();
  expect(await scan()).toEqual([]);
  await alice.getByRole('button', { name: 'Status and settings' }).click();
  expect(await scan()).toEqual([]);
});

test('a visitor who leaves the page alone shows as away to buddies, and online again on return', async ({
  openPage,
  signedIn,
}) => {
  const nico = await signedIn('nico');
  const mona = await openPage();
  // Away after about four seconds instead of five minutes (long enough to see her online first,
  // even on a busy machine).
  await mona.addInitScript(() => {
    (window as { ParleySettings?: object }).ParleySettings = { awayAfterMinutes: 0.06 };
  });
  await openDemo(mona);
  await signIn(mona, 'mona');
  await expect(buddy(nico, 'Mona')).toContainText('Online');
  // Nobody touches Mona's page: Nico sees her away, without a status she did not choose.
  await expect(buddy(nico, 'Mona')).toContainText('Away', { timeout: 15_000 });
  // She comes back and presses a key: online again.
  await mona.keyboard.press('Shift');
  await expect(buddy(nico, 'Mona')).toContainText('Online');
  // A state she chose herself is not overridden by idleness: busy stays busy.
  await mona.getByRole('button', { name: 'Status and settings' }).click();
  await mona.getByRole('radio', { name: 'Busy' }).check();
  await mona.getByRole('button', { name: 'Save' }).click();
  await expect(buddy(nico, 'Mona')).toContainText('Busy');
  await mona.waitForTimeout(5000);
  await expect(buddy(nico, 'Mona')).toContainText('Busy');
});

test('group a buddy, remove one, block and unblock another, from the chat’s options', async ({ signedIn }) => {
  const quin = await signedIn('quin');
  const rosa = await signedIn('rosa');
  const sami = await signedIn('sami');
  const options = quin.getByRole('region', { name: 'Options' });
  const back = () => quin.getByRole('button', { name: 'Back', exact: true }).click();

  // Rosa goes into a new group.
  await buddy(quin, 'Rosa').click();
  await quin.getByRole('button', { name: 'Options' }).click();
  await options.getByRole('combobox', { name: 'Group' }).fill('Climbing');
  await options.getByRole('button', { name: 'Move', exact: true }).click();
  await expect(options.getByRole('status')).toHaveText('Saved');
  await back();
  await expect(quin.getByRole('region', { name: 'Climbing' }).getByRole('button', { name: /^Rosa/ })).toBeVisible();

  // Removing asks twice; then both lists lose each other.
  await buddy(quin, 'Rosa').click();
  await quin.getByRole('button', { name: 'Options' }).click();
  await options.getByRole('button', { name: 'Remove buddy' }).click();
  await options.getByRole('button', { name: 'Remove Rosa? Click again' }).click();
  await expect(quin.getByRole('navigation', { name: 'Buddies' })).toBeVisible();
  await expect(buddy(quin, 'Rosa')).toHaveCount(0);
  await expect(buddy(rosa, 'Quin')).toHaveCount(0);

  // Blocking Sami: she loses Quin, he sees her under Blocked, and can unblock her there.
  await buddy(quin, 'Sami').click();
  await quin.getByRole('button', { name: 'Options' }).click();
  await options.getByRole('button', { name: 'Block', exact: true }).click();
  await options.getByRole('button', { name: 'Block Sami? Click again' }).click();
  const blocked = quin.getByRole('region', { name: 'Blocked' });
  await expect(blocked).toContainText('Sami');
  await expect(buddy(quin, 'Sami')).toHaveCount(0);
  await expect(buddy(sami, 'Quin')).toHaveCount(0);
  await blocked.getByRole('button', { name: 'Unblock Sami' }).click();
  await expect(blocked).toHaveCount(0);
});
