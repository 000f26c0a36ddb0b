import { describe, expect, it } from 'vitest';
import { sleep, useServer, waitFor } from './support.js';

/** Presence: chosen states, idle, last seen, and the grace period before buddies see a user go offline. */
const server = useServer({ config: { presenceGraceMs: 200 } });
const user = (name: string, buddies: string[] = []) => server.user(name, { buddies });

describe('presence states, idle and last seen', () => {
  it('shows chosen states and status text to buddies; invisible looks offline but can chat', async () => {
    const eve = await user('eve');
    const fay = await user('fay', ['eve']);
    const eveTab = await eve.connect();
    const eveTab2 = await eve.connect();
    const fayTab = await fay.connect();
    const latest = () => fayTab.presence.filter((p) => p.userId === eve.id).at(-1)?.presence;

    await eveTab.ok('presence:set', { state: 'away', status: 'Back in 5' });
    await waitFor(() => latest()?.state === 'away' && latest()?.status === 'Back in 5');
    // Her other tab hears what she chose.
    await waitFor(() => eveTab2.presence.some((p) => p.userId === eve.id && p.chosen?.state === 'away'));

    await eveTab.ok('presence:set', { state: 'busy' });
    await waitFor(() => latest()?.state === 'busy' && latest()?.status === '');

    await eveTab.ok('presence:set', { state: 'invisible', status: 'secret' });
    await waitFor(() => latest()?.state === 'offline');
    expect(latest()?.status).toBe('');
    expect((await eveTab.send(fay.id, 'boo, from nowhere')).duplicate).toBe(false);
    // The choice is saved: a new connection still finds her invisible.
    const fayAgain = await fay.connect();
    expect(fayAgain.ready.roster.find((e) => e.user.id === eve.id)?.presence.state).toBe('offline');
    const eveAgain = await eve.connect();
    expect(eveAgain.ready.presence).toEqual({ state: 'invisible', status: 'secret', idle: false });

    await eveTab.ok('presence:set', { state: 'online' });
    await waitFor(() => latest()?.state === 'online');
  });

  it('an idle user shows as away while online, keeps a chosen busy, and is back on activity', async () => {
    const ida = await user('ida');
    const jay = await user('jay', ['ida']);
    const idaTab = await ida.connect();
    const idaTab2 = await ida.connect();
    const jayTab = await jay.connect();
    const seen = () => jayTab.presence.filter((p) => p.userId === ida.id).map((p) => p.presence.state);
    await idaTab.ok('presence:set', { state: 'online', status: 'Reading' });
    await waitFor(() => seen().at(-1) === 'online');
    const before = seen().length;

    // Idle: Jay sees away with her text; her other tab learns she is idle; a new tab starts from it.
    expect(await idaTab.ok('presence:idle', { idle: true })).toEqual({
      presence: { state: 'online', status: 'Reading', idle: true },
    });
    await waitFor(() => seen().at(-1) === 'away');
    expect(jayTab.presence.at(-1)?.presence).toMatchObject({ state: 'away', status: 'Reading' });
    await waitFor(() => idaTab2.presence.some((p) => p.userId === ida.id && p.chosen?.idle === true));
    expect((await ida.connect()).ready.presence).toEqual({ state: 'online', status: 'Reading', idle: true });
    // Saying it twice changes nothing and tells nobody.
    await idaTab2.ok('presence:idle', { idle: true });

    // Back: online again.
    await idaTab2.ok('presence:idle', { idle: false });
    await waitFor(() => seen().at(-1) === 'online');
    expect(seen().slice(before)).toEqual(['away', 'online']);

    // Busy stays busy while idle (no event); picking a state ends idleness.
    await idaTab.ok('presence:set', { state: 'busy', status: '' });
    await waitFor(() => seen().at(-1) === 'busy');
    const busyEvents = seen().length;
    await idaTab.ok('presence:idle', { idle: true });
    await sleep(150);
    expect(seen().length).toBe(busyEvents);
    expect((await idaTab.ok('presence:set', { state: 'online', status: '' })).presence.idle).toBe(false);
    await waitFor(() => seen().at(-1) === 'online');
  });

  it('records last seen when a user goes offline', async () => {
    const gil = await user('gil');
    const hal = await user('hal', ['gil']);
    const halTab = await hal.connect();
    const gilTab = await gil.connect();
    const before = Date.now();
    gilTab.close();
    const off = await waitFor(() => halTab.presence.find((p) => p.userId === gil.id && p.presence.state === 'offline'));
    expect(Date.parse(off.presence.lastSeenAt!)).toBeGreaterThanOrEqual(before);
    await sleep(50);
    expect((await server.app.store.getUser(gil.id))?.lastSeenAt?.getTime()).toBeGreaterThanOrEqual(before);
    const halAgain = await hal.connect();
    expect(halAgain.ready.roster.find((e) => e.user.id === gil.id)?.presence.lastSeenAt).toBe(off.presence.lastSeenAt);
  });
});

describe('presence fan-out, batched per tick', () => {
  it('many logins at once: each buddy online shows once, on every tab; one who removed the hub tells it nothing more', async () => {
    const hub = await user('hub');
    const names = Array.from({ length: 12 }, (_, i) => `spoke${i}`);
    const spokes: Awaited<ReturnType<typeof user>>[] = [];
    for (const name of names) spokes.push(await user(name, ['hub']));
    const hubTabs = [await hub.connect(), await hub.connect()];
    // All at once: their online changes fall into the same few ticks.
    const tabs = await Promise.all(spokes.map((s) => s.connect()));
    for (const tab of hubTabs) {
      await waitFor(() => spokes.every((s) => tab.presence.some((p) => p.userId === s.id)));
      await sleep(100);
      const online = tab.presence.filter((p) => p.presence.state === 'online').map((p) => p.userId);
      expect(online.sort()).toEqual(spokes.map((s) => s.id).sort());
    }
    // Each spoke's session:ready already showed the hub online.
    for (const tab of tabs) expect(tab.ready.roster.find((e) => e.user.id === hub.id)?.presence.state).toBe('online');

    // Audiences are read when the tick's changes go out: a relation ended before that is respected.
    const seen = hubTabs[0]!.presence.length;
    await tabs[0]!.ok('roster:remove', { userId: hub.id });
    await tabs[0]!.ok('presence:set', { state: 'busy' });
    await tabs[1]!.ok('presence:set', { state: 'busy' });
    await waitFor(() => hubTabs[0]!.presence.slice(seen).some((p) => p.userId === spokes[1]!.id));
    await sleep(100);
    expect(
      hubTabs[0]!.presence.slice(seen).filter((p) => p.userId === spokes[0]!.id && p.presence.state === 'busy'),
    ).toEqual([]);
  });
});

describe('presence grace: a reconnect within the grace period', () => {
  // Its own server, with a grace period long enough to reconnect within on a loaded machine.
  const server = useServer({ config: { presenceGraceMs: 800 } });
  const pair = server.pair;

  it('sends buddies no offline/online change', async () => {
    const { connect, ids } = await pair('ms4a', 'ms4b');
    const watcher = await connect('ms4a');
    const flaky = await connect('ms4b');
    await waitFor(() => watcher.presence.some((p) => p.userId === ids.ms4b && p.presence.state === 'online'));
    const seen = watcher.presence.length;
    flaky.close();
    await sleep(200); // well inside the 800 ms grace period
    await connect('ms4b');
    await sleep(1200); // past it
    expect(watcher.presence.slice(seen).filter((p) => p.userId === ids.ms4b)).toEqual([]);
  });
});
