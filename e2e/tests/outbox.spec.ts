import { rmSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { spawnServer, tempDir, type ServerProcess } from '@parley/backend/testing';
import { buddy, messageBodies, sendMessage, signIn } from './widget.js';

/** Its own server, so stopping it disturbs no other test. */
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

test('a message written while the server is down waits as pending and is delivered once when it is back', async ({
  browser,
}) => {
  test.setTimeout(90_000);
  const url = server.url;
  const port = new URL(url).port;
  const alice = await (await browser.newContext()).newPage();
  await alice.goto(url);
  await signIn(alice, 'alice');
  await buddy(alice, 'Bob Marley').click();
  await sendMessage(alice, 'Bob Marley', 'before the outage');
  await expect(alice.locator('li.message.mine').last()).toHaveAttribute('data-state', 'sent');

  server.child.kill('SIGKILL');
  await server.exited;
  await expect(alice.getByRole('status').filter({ hasText: 'Offline.' })).toBeVisible();

  await sendMessage(alice, 'Bob Marley', 'written while offline');
  const pending = alice.locator('li.message.mine').last();
  await expect(pending).toHaveAttribute('data-state', 'pending');
  await expect(pending).toContainText('Sending…');

  server = await spawnServer(dir, { PORT: port });
  await expect(pending).toHaveAttribute('data-state', 'sent', { timeout: 30_000 });
  await expect(alice.getByRole('status').filter({ hasText: 'Offline.' })).toHaveCount(0);

  const bob = await (await browser.newContext()).newPage();
  await bob.goto(url);
  await signIn(bob, 'bob');
  await buddy(bob, 'Alice Liddell').click();
  await expect(messageBodies(bob)).toHaveText(['before the outage', 'written while offline']);
});
