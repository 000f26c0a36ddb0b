import { expect, test } from './fixtures.js';
import { buddy, composer, messageBodies, openDemo, sendMessage, signIn } from './widget.js';

type Shown = { title: string; body: string };

test('desktop notifications: only once turned on, only while the tab is hidden; a click opens the chat', async ({
  openPage,
  signedIn,
}) => {
  // The browser grants the permission when asked; every notification the page makes is recorded
  // (headless Chromium has no desktop to show them on), and the test decides when the tab is hidden.
  const pete = await openPage({ permissions: ['notifications'] });
  await pete.addInitScript(() => {
    const shown: { title: string; body: string }[] = [];
    const live: Notification[] = [];
    const Real = window.Notification;
    class Recorded extends Real {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        shown.push({ title, body: options?.body ?? '' });
        live.push(this);
      }
    }
    let hidden = false;
    Object.defineProperty(document, 'visibilityState', { get: () => (hidden ? 'hidden' : 'visible') });
    Object.defineProperty(document, 'hidden', { get: () => hidden });
    Object.assign(window, {
      Notification: Recorded,
      shown,
      clickLast: () => live.at(-1)?.onclick?.(new Event('click')),
      setHidden: (value: boolean) => {
        hidden = value;
        document.dispatchEvent(new Event('visibilitychange'));
      },
    });
  });
  const shown = () => pete.evaluate(() => (window as unknown as { shown: Shown[] }).shown);
  const setHidden = (value: boolean) =>
    pete.evaluate((v) => (window as unknown as { setHidden: (h: boolean) => void }).setHidden(v), value);
  await openDemo(pete);
  await signIn(pete, 'pete');
  const olga = await signedIn('olga');
  await buddy(olga, 'Pete').click();

  // Off by default: a hidden tab gets the unread count in its title, but no notification.
  await setHidden(true);
  await sendMessage(olga, 'Pete', 'First, before you asked for them');
  await expect(pete).toHaveTitle(/^\(1\) /);
  expect(await shown()).toEqual([]);

  // Pete turns them on (the permission is asked now, and granted).
  await setHidden(false);
  await pete.getByRole('button', { name: 'Status and settings' }).click();
  await pete.getByRole('checkbox', { name: 'Desktop notifications when this tab is hidden' }).check();
  await expect(pete.getByRole('checkbox', { name: 'Desktop notifications when this tab is hidden' })).toBeChecked();
  await pete.getByRole('button', { name: 'Status and settings' }).click();

  // Visible: no notification. Hidden: one, with the sender and the text.
  await sendMessage(olga, 'Pete', 'Second, while you look');
  await expect(buddy(pete, 'Olga')).toContainText('2 unread');
  expect(await shown()).toEqual([]);
  await setHidden(true);
  await sendMessage(olga, 'Pete', 'Third, while you are elsewhere');
  await expect.poll(shown).toEqual([{ title: 'New message from Olga', body: 'Third, while you are elsewhere' }]);
  await expect(pete).toHaveTitle(/^\(3\) /);

  // Clicking it opens the conversation.
  await pete.evaluate(() => (window as unknown as { clickLast: () => void }).clickLast());
  await setHidden(false);
  await expect(composer(pete, 'Olga')).toBeVisible();
  await expect(messageBodies(pete).last()).toHaveText('Third, while you are elsewhere');
});

test('on a phone the panel and the chat fill the screen', async ({ openPage }) => {
  const phone = await openPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await openDemo(phone);
  await signIn(phone, 'olga');
  const panel = phone.getByRole('dialog', { name: 'Chat' });
  const fills = async () => {
    const box = (await panel.boundingBox())!;
    expect(box.x).toBe(0);
    expect(box.y).toBe(0);
    expect(box.width).toBe(390);
    expect(box.height).toBe(844);
  };
  await fills();
  await buddy(phone, 'Pete').click();
  await expect(composer(phone, 'Pete')).toBeVisible();
  await fills();
  // The composer is on screen, above the bottom edge, ready for the keyboard.
  const input = (await composer(phone, 'Pete').boundingBox())!;
  expect(input.y + input.height).toBeLessThanOrEqual(844);
  expect(input.width).toBeGreaterThan(200);
  // Send takes the click: the launcher is out of the way while the panel fills the screen.
  await composer(phone, 'Pete').fill('Sent with the Send button');
  await panel.getByRole('button', { name: 'Send', exact: true }).click({ timeout: 5000 });
  await expect(messageBodies(phone).last()).toHaveText('Sent with the Send button');
  // Closed, the launcher is back, and takes the focus.
  await panel.getByRole('button', { name: 'Close chat' }).click();
  await expect(phone.getByRole('button', { name: /^Open chat/ })).toBeFocused();
});
