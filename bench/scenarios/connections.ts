// Scenario 1 (connections held) and scenario 4 (reconnect storm). The same client processes hold
// the connections of scenario 1 and then live through a server restart in scenario 4.
import { mergeHistograms, summarize, type LatencySummary } from '../lib/hist.ts';
import { CpuMonitor, openFiles } from '../lib/procstat.ts';
import { startWorker, type WorkerHandle } from '../lib/rpc.ts';
import type { Peer } from '../lib/seed.ts';
import type { ServerProcess } from '../lib/servers.ts';
import { log, loopbackSources, sleep, split } from '../lib/util.ts';
import type { ConnectResult, StormStatus } from '../workers/conn-worker.ts';

export interface PhaseResult {
  users: number;
  offeredRate: number;
  maxInFlight: number;
  /** Sessions ready per second, first start to last ready. */
  achievedRate: number;
  ready: number;
  failed: number;
  errors: Record<string, number>;
  latency: LatencySummary;
  presenceEvents: number;
  spanMs: number;
  /** Users not attempted because the time budget ran out. */
  skipped: number;
  /** The generators' CPU over the phase (1.0 = one core), and their CPU per session ready, ms. */
  generatorCpu: number;
  generatorCpuMsPerConnect: number;
  /** The phase's wall time, first start to the last answer or timeout, ms. */
  elapsedMs: number;
}

export interface ConnectionsResult {
  target: number;
  limitNote: string | null;
  logins: PhaseResult | null;
  connects: PhaseResult | null;
  held: number;
  serverOpenFiles: number;
  baseline: { rss: number; heapUsed: number };
  loaded: { rss: number; heapUsed: number };
  rssPerConnection: number;
  heapPerConnection: number;
  eldRampP99: number;
  eldHoldP99: number;
  eldHoldMax: number;
  serverCpuRamp: number;
  /** The server's CPU per stored-session connect during the ramp, ms. */
  serverCpuMsPerConnect: number;
  error?: string;
}

export interface StormResult {
  clients: number;
  restartMs: number;
  /** From SIGKILL of the old server. */
  allReconnectedMs: number;
  allSyncedMs: number;
  /** From the new server answering /healthz. */
  allSyncedAfterUpMs: number;
  reconnected: number;
  synced: number;
  syncErrors: number;
  perClient: LatencySummary;
  serverCpuMean: number;
  serverCpuPeak: number;
  /** The load generators' CPU from the server listening again until all are synced (1.0 = one core). */
  generatorCpuMean: number;
  /** Clients back and synced, counted every 5 s after the new server listened. */
  timeline: { afterUpS: number; synced: number }[];
  failures: Record<string, number>;
  error?: string;
}

const workerFile = new URL('../workers/conn-worker.ts', import.meta.url);

export class ConnectionFleet {
  readonly workers: WorkerHandle[];

  constructor(
    count: number,
    private readonly password: string,
  ) {
    this.workers = Array.from({ length: count }, (_, i) =>
      startWorker(workerFile, `conn-${i}`, ['--max-old-space-size=4096']),
    );
  }

  async init(url: string): Promise<void> {
    const sources = split(loopbackSources(16, 40), this.workers.length);
    await Promise.all(
      this.workers.map((w, i) =>
        w.call('init', { url, localAddresses: sources[i], password: this.password, name: w.name }),
      ),
    );
  }

  async connect(
    users: Peer[],
    rate: number,
    login: boolean,
    maxInFlight: number,
    budgetMs: number,
    timeoutMs: number,
  ): Promise<PhaseResult> {
    const parts = split(users, this.workers.length);
    const outcomes = await Promise.all(
      this.workers.map((w, i) =>
        w.call<ConnectResult>(
          'connect',
          {
            users: parts[i],
            rate: rate / this.workers.length,
            login,
            maxInFlight: Math.max(1, Math.round(maxInFlight / this.workers.length)),
            budgetMs,
            timeoutMs,
          },
          budgetMs + timeoutMs + 60_000,
        ),
      ),
    );
    const ready = outcomes.reduce((a, o) => a + o.ready, 0);
    const spanMs = Math.max(...outcomes.map((o) => o.spanMs));
    const elapsedMs = Math.max(...outcomes.map((o) => o.elapsedMs));
    const cpuMs = outcomes.reduce((a, o) => a + o.cpuMs, 0);
    const errors: Record<string, number> = {};
    for (const o of outcomes) for (const [k, v] of Object.entries(o.errors)) errors[k] = (errors[k] ?? 0) + v;
    return {
      users: users.length,
      offeredRate: rate,
      maxInFlight,
      achievedRate: ready / (spanMs / 1000),
      ready,
      failed: outcomes.reduce((a, o) => a + o.failed, 0),
      errors,
      latency: summarize(mergeHistograms(outcomes.map((o) => o.latency))),
      presenceEvents: outcomes.reduce((a, o) => a + o.presenceEvents, 0),
      spanMs,
      skipped: outcomes.reduce((a, o) => a + o.skipped, 0),
      generatorCpu: cpuMs / elapsedMs,
      generatorCpuMsPerConnect: cpuMs / Math.max(1, ready),
      elapsedMs,
    };
  }

  async connected(): Promise<number> {
    const all = await Promise.all(this.workers.map((w) => w.call<{ connected: number }>('status')));
    return all.reduce((a, s) => a + s.connected, 0);
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.call('close', {}, 30_000).catch(() => undefined)));
    await Promise.all(this.workers.map((w) => w.stop()));
  }
}

export async function runConnections(options: {
  server: ServerProcess;
  fleet: ConnectionFleet;
  loginUsers: Peer[];
  loginRate: number;
  loginInFlight: number;
  users: Peer[];
  rate: number;
  inFlight: number;
  budgetMs: number;
  holdMs: number;
  limitNote: string | null;
}): Promise<ConnectionsResult> {
  const { server, fleet } = options;
  const base = await server.probe({ gc: true, reset: true });
  const result: ConnectionsResult = {
    target: options.loginUsers.length + options.users.length,
    limitNote: options.limitNote,
    logins: null,
    connects: null,
    held: 0,
    serverOpenFiles: NaN,
    baseline: { rss: base.rss, heapUsed: base.heapUsed },
    loaded: { rss: NaN, heapUsed: NaN },
    rssPerConnection: NaN,
    heapPerConnection: NaN,
    eldRampP99: NaN,
    eldHoldP99: NaN,
    eldHoldMax: NaN,
    serverCpuRamp: NaN,
    serverCpuMsPerConnect: NaN,
  };
  try {
    await fleet.init(server.url);
    if (options.loginUsers.length) {
      result.logins = await fleet.connect(
        options.loginUsers,
        options.loginRate,
        true,
        options.loginInFlight,
        options.budgetMs,
        60_000,
      );
      log(
        `logins: ${result.logins.ready}/${result.logins.users} at ${result.logins.achievedRate.toFixed(1)}/s, ` +
          `p50 ${result.logins.latency.p50} ms, p99 ${result.logins.latency.p99} ms`,
      );
    }
    await server.probe({ reset: true });
    const cpu = new CpuMonitor(() => server.pid, 1000);
    cpu.start();
    const progress = setInterval(async () => {
      const held = await fleet.connected().catch(() => NaN);
      log(`connections: ${held} connected`);
    }, 10_000);
    try {
      result.connects = await fleet.connect(
        options.users,
        options.rate,
        false,
        options.inFlight,
        options.budgetMs,
        60_000,
      );
    } finally {
      clearInterval(progress);
    }
    result.serverCpuRamp = cpu.stop().mean;
    result.serverCpuMsPerConnect =
      (result.serverCpuRamp * result.connects.elapsedMs) / Math.max(1, result.connects.ready);
    result.eldRampP99 = (await server.probe({ reset: true })).eld.p99;
    log(
      `connects: ${result.connects.ready}/${result.connects.users} at ${result.connects.achievedRate.toFixed(0)}/s, ` +
        `p50 ${result.connects.latency.p50} ms, p99 ${result.connects.latency.p99} ms, ` +
        `${result.connects.presenceEvents} presence events, errors ${JSON.stringify(result.connects.errors)}`,
    );
    await sleep(options.holdMs);
    const hold = await server.probe({ reset: true });
    const loaded = await server.probe({ gc: true });
    result.held = await fleet.connected();
    result.serverOpenFiles = openFiles(server.pid);
    result.eldHoldP99 = hold.eld.p99;
    result.eldHoldMax = hold.eld.max;
    result.loaded = { rss: loaded.rss, heapUsed: loaded.heapUsed };
    result.rssPerConnection = (loaded.rss - base.rss) / Math.max(1, result.held);
    result.heapPerConnection = (loaded.heapUsed - base.heapUsed) / Math.max(1, result.held);
    log(
      `held ${result.held}; server RSS ${(loaded.rss / 2 ** 20).toFixed(0)} MiB, heap ${(loaded.heapUsed / 2 ** 20).toFixed(0)} MiB, ` +
        `event-loop delay p99 ${hold.eld.p99.toFixed(1)} ms while holding`,
    );
  } catch (err) {
    result.error = err instanceof Error ? err.message.split('\n')[0] : String(err);
    log(`connections: ${result.error}`);
  }
  return result;
}

/** Kills the server (SIGKILL, as a crash), starts it again and waits for every client to be back and synced. */
export async function runStorm(options: {
  fleet: ConnectionFleet;
  keep: number;
  server: ServerProcess;
  restart: () => Promise<ServerProcess>;
  timeoutMs: number;
}): Promise<{ result: StormResult; server: ServerProcess }> {
  const { fleet } = options;
  let server = options.server;
  const result: StormResult = {
    clients: 0,
    restartMs: NaN,
    allReconnectedMs: NaN,
    allSyncedMs: NaN,
    allSyncedAfterUpMs: NaN,
    reconnected: 0,
    synced: 0,
    syncErrors: 0,
    perClient: summarize(mergeHistograms([])),
    serverCpuMean: NaN,
    serverCpuPeak: NaN,
    generatorCpuMean: NaN,
    timeline: [],
    failures: {},
  };
  try {
    const per = split(Array.from({ length: options.keep }), fleet.workers.length).map((p) => p.length);
    await Promise.all(fleet.workers.map((w, i) => w.call('trim', { keep: per[i] })));
    const counts = await Promise.all(fleet.workers.map((w) => w.call<number>('arm')));
    result.clients = counts.reduce((a, b) => a + b, 0);
    await sleep(1000);
    const killedAt = Date.now();
    await server.kill();
    server = await options.restart();
    const upAt = Date.now();
    result.restartMs = upAt - killedAt;
    const cpu = new CpuMonitor(() => server.pid, 500);
    cpu.start();
    const stormStatuses = () => Promise.all(fleet.workers.map((w) => w.call<StormStatus>('stormStatus')));
    const generatorCpuAtUp = (await stormStatuses()).reduce((a, s) => a + s.cpuMs, 0);
    const deadline = Date.now() + options.timeoutMs;
    let statuses: StormStatus[] = [];
    let lastLog = upAt - 5000;
    for (;;) {
      statuses = await stormStatuses();
      const synced = statuses.reduce((a, s) => a + s.synced, 0);
      if (Date.now() - lastLog >= 5000) {
        lastLog += 5000;
        result.timeline.push({ afterUpS: Math.round((Date.now() - upAt) / 1000), synced });
        const reconnected = statuses.reduce((a, s) => a + s.reconnected, 0);
        log(`storm: ${reconnected} reconnected, ${synced}/${result.clients} synced`);
      }
      if (synced >= result.clients || Date.now() > deadline) break;
      await sleep(250);
    }
    const usage = cpu.stop();
    result.generatorCpuMean = (statuses.reduce((a, s) => a + s.cpuMs, 0) - generatorCpuAtUp) / (Date.now() - upAt);
    for (const s of statuses) {
      for (const [k, v] of Object.entries(s.failures)) result.failures[k] = (result.failures[k] ?? 0) + v;
    }
    result.reconnected = statuses.reduce((a, s) => a + s.reconnected, 0);
    result.synced = statuses.reduce((a, s) => a + s.synced, 0);
    result.syncErrors = statuses.reduce((a, s) => a + s.syncErrors, 0);
    const lastReconnect = Math.max(...statuses.map((s) => s.lastReconnectAt));
    const lastSynced = Math.max(...statuses.map((s) => s.lastSyncedAt));
    if (result.synced >= result.clients) {
      result.allReconnectedMs = lastReconnect - killedAt;
      result.allSyncedMs = lastSynced - killedAt;
      result.allSyncedAfterUpMs = lastSynced - upAt;
    }
    result.perClient = summarize(mergeHistograms(statuses.map((s) => s.reconnectLatency)));
    result.serverCpuMean = usage.mean;
    result.serverCpuPeak = usage.peak;
    log(
      `storm: ${result.synced}/${result.clients} back and synced ${(result.allSyncedMs / 1000).toFixed(1)} s after the kill ` +
        `(server up after ${(result.restartMs / 1000).toFixed(1)} s), server CPU mean ${(usage.mean * 100).toFixed(0)}%`,
    );
  } catch (err) {
    result.error = err instanceof Error ? err.message.split('\n')[0] : String(err);
    log(`storm: ${result.error}`);
  }
  return { result, server };
}
