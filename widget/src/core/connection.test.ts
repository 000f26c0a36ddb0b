import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** A socket whose events the test plays, counting the connection attempts the widget makes. */
const fake = vi.hoisted(() => ({
  handlers: new Map<string, ((...args: unknown[]) => void)[]>(),
  options: null as Record<string, unknown> | null,
  connects: [] as number[],
  connected: false,
  play(event: string, ...args: unknown[]) {
    for (const handler of this.handlers.get(event) ?? []) handler(...args);
  },
}));

vi.mock('socket.io-client', () => ({
  io: (_server: string, options: Record<string, unknown>) => {
    fake.handlers.clear();
    fake.options = options;
    return {
      get connected() {
        return fake.connected;
      },
      auth: options.auth,
      on(event: string, handler: (...args: unknown[]) => void) {
        fake.handlers.set(event, [...(fake.handlers.get(event) ?? []), handler]);
      },
      off: () => undefined,
      connect: () => void fake.connects.push(Date.now()),
      disconnect: () => undefined,
    };
  },
}));

const { createConnection } = await import('./connection.js');
const { RECONNECT_BASE_MS } = await import('./reconnect-policy.js');

describe('the connection reconnects by the reconnect policy', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    fake.connects.length = 0;
    fake.connected = true;
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it("turns Socket.IO's own reconnection off", () => {
    createConnection('http://x', () => undefined).open({ v: 2, site: 's', token: 't' });
    expect(fake.options).toMatchObject({ reconnection: false });
  });

  it('after a loss, tries again within the first backoff window', () => {
    const connection = createConnection('http://x', () => undefined);
    connection.open({ v: 2, site: 's', token: 't' });
    fake.connected = false;
    fake.play('disconnect', 'transport close');
    expect(connection.status.value).toBe('offline');
    vi.advanceTimersByTime(RECONNECT_BASE_MS);
    expect(fake.connects).toHaveLength(1);
  });

  it('after server:shutdown, comes back when the server said, not before', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    createConnection('http://x', () => undefined).open({ v: 2, site: 's', token: 't' });
    fake.play('server:shutdown', { reconnectWithinMs: 10_000, reconnectAfterMs: 6500 });
    fake.connected = false;
    fake.play('disconnect', 'transport close');
    vi.advanceTimersByTime(6499);
    expect(fake.connects).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(fake.connects).toEqual([6500]);
  });

  it('does not come back after the server ended the session, or after close()', () => {
    const connection = createConnection('http://x', () => undefined);
    connection.open({ v: 2, site: 's', token: 't' });
    fake.connected = false;
    fake.play('disconnect', 'io server disconnect');
    vi.advanceTimersByTime(60_000);
    expect(fake.connects).toHaveLength(0);
    connection.open({ v: 2, site: 's', token: 't' });
    const lose = [...(fake.handlers.get('disconnect') ?? [])];
    connection.close();
    for (const handler of lose) handler('transport close');
    vi.advanceTimersByTime(60_000);
    expect(fake.connects).toHaveLength(0);
  });

  it('a refusal that may pass is tried again later; a final one is not', () => {
    const refused = vi.fn();
    createConnection('http://x', refused).open({ v: 2, site: 's', token: 't' });
    fake.connected = false;
    fake.play('connect_error', Object.assign(new Error('busy'), { data: { code: 'unavailable', message: 'busy' } }));
    vi.advanceTimersByTime(1000);
    expect(fake.connects).toHaveLength(1);
    fake.play('connect_error', Object.assign(new Error('no'), { data: { code: 'unauthorized', message: 'no' } }));
    vi.advanceTimersByTime(60_000);
    expect(fake.connects).toHaveLength(1);
    expect(refused).toHaveBeenCalledWith({ code: 'unauthorized', message: 'no' });
  });
});
