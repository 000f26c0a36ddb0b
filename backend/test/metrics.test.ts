import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, type ErrorBody } from '../src/protocol/index.js';
import { addUser, login, startServer, TestClient, waitFor, type TestServer } from './support.js';

const TOKEN = 'scrape-me-please-0123456789';
let server: TestServer;
let off: TestServer;
const open: TestClient[] = [];

beforeAll(async () => {
  server = await startServer({ config: { metricsToken: TOKEN } });
  off = await startServer();
});
afterAll(async () => {
  for (const c of open) c.close();
  await Promise.all([server.close(), off.close()]);
});

/** The client socket without the protocol's types, to send what no widget would. */
const untyped = (c: TestClient) =>
  c.socket as unknown as { timeout(ms: number): { emitWithAck(event: string, payload: unknown): Promise<unknown> } };

const scrape = (target: TestServer, authorization?: string) =>
  fetch(`${target.url}/metrics`, { headers: authorization ? { authorization } : {} });

/** The value of one series in Prometheus text, or undefined when it is not there. */
function series(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('GET /metrics', () => {
  it('is off without METRICS_TOKEN and asks for the token when it is set', async () => {
    const none = await scrape(off, `Bearer ${TOKEN}`);
    expect(none.status).toBe(404);
    expect(((await none.json()) as { error: ErrorBody }).error.code).toBe(ErrorCode.NotFound);
    for (const auth of [undefined, 'Bearer wrong', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`]) {
      const refused = await scrape(server, auth);
      expect(refused.status, String(auth)).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    }
  });

  it('counts connections, stored messages, events by outcome and refused handshakes', async () => {
    const ann = await addUser(server, 'metann');
    const ben = await addUser(server, 'metben', { buddies: ['metann'] });
    const before = await (await scrape(server, `Bearer ${TOKEN}`)).text();
    const a = await TestClient.connect(server.url, (await login(server.url, 'metann', 'metann-pass')).token);
    const b = await TestClient.connect(server.url, (await login(server.url, 'metben', 'metben-pass')).token);
    open.push(a, b);
    for (let i = 0; i < 3; i++) await a.send(ben.id, `counted ${i}`);
    await waitFor(() => b.entries.length >= 3);
    await a.trySend(ann.id, 'refused: empty client id', '');
    // An event name the protocol does not know is counted as "unknown", not under its own name.
    expect(await untyped(a).timeout(2000).emitWithAck('made-up:event', {})).toMatchObject({ ok: false });
    await TestClient.connect(server.url, 'forged-token').catch(() => undefined);

    const response = await scrape(server, `Bearer ${TOKEN}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(series(text, 'parley_connections')).toBe(2);
    const stored = 'parley_stored_total{kind="message"}';
    expect(series(text, stored)! - (series(before, stored) ?? 0)).toBe(3);
    expect(series(text, 'parley_event_duration_seconds_count{event="message:send",outcome="ok"}')).toBe(3);
    expect(series(text, 'parley_event_duration_seconds_count{event="message:send",outcome="bad_request"}')).toBe(1);
    expect(text).toContain('event="unknown"');
    expect(text).not.toContain('made-up');
    expect(series(text, 'parley_handshake_refusals_total{code="unauthorized"}')).toBeGreaterThanOrEqual(1);
    expect(series(text, 'parley_write_batch_size_count')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^parley_process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^parley_nodejs_eventloop_lag_p99_seconds [\d.e-]+/m);
  });
});

describe('an unknown event', () => {
  it('is answered and does not count as in flight, so shutdown does not wait for it', async () => {
    const alone = await startServer({ config: { shutdownTimeoutMs: 10_000 } });
    await addUser(alone, 'unkann');
    const c = await TestClient.connect(alone.url, (await login(alone.url, 'unkann', 'unkann-pass')).token);
    expect(await untyped(c).timeout(2000).emitWithAck('no-such:event', {})).toMatchObject({
      ok: false,
      error: { code: ErrorCode.BadRequest },
    });
    const started = performance.now();
    await alone.close();
    // Counted in flight, it would hold the flush for half the shutdown timeout (5 s).
    expect(performance.now() - started).toBeLessThan(2500);
    c.close();
  });
});
