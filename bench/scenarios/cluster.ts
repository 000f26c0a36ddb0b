// Scenario 9: scale as a cluster. One process here is capped at 20,000 open files (a hard limit),
// so many connections are shown the way an operator would run Parley: three nodes
// (`backend/src/main.ts` with DATABASE_URL, REDIS_URL, REDIS_PREFIX and PORT, the first started
// alone so it migrates, the others together, as backend/scripts/cluster.ts does) on a PostgreSQL
// database and a Redis key prefix of their own. Users with mutual buddies connect from several
// generator processes (each under the same cap), spread over the nodes and over loopback source
// addresses; while they are held, pairs whose members sit on different nodes exchange messages
// open loop at a fixed rate, measured on one clock (both members of a pair in one process).
// Everything it creates (processes, database, Redis keys) is removed at the end, also on failure.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startS3, tempDir, type TestS3 } from '@parley/backend/testing';
import { rmSync } from 'node:fs';
import { mergeHistograms, summarize, type LatencySummary } from '../lib/hist.ts';
import type { StepResult } from '../lib/open-loop.ts';
import { CpuMonitor, openFileLimit, openFiles, sampleProc } from '../lib/procstat.ts';
import { startWorker, type WorkerHandle } from '../lib/rpc.ts';
import type { Peer } from '../lib/seed.ts';
import { createBenchDatabase, seedPostgres, type BenchDatabase } from '../lib/seed-postgres.ts';
import { repoRoot, startServer, type ServerProcess } from '../lib/servers.ts';
import { fmtInt, freePort, log, loopbackSources, sleep, split } from '../lib/util.ts';
import type { ClusterConnectResult, ClusterConnStatus } from '../workers/cluster-conn-worker.ts';

export const BENCH_REDIS_URL = process.env.PARLEY_BENCH_REDIS_URL || 'redis://127.0.0.1:6379';

export interface ClusterPlan {
  nodes: number;
  /** Connections to hold across all nodes (besides the messaging pairs). */
  connections: number;
  /** Processes holding them (each capped at the same open-files limit as a node). */
  generators: number;
  /** Each user is a mutual buddy of this many neighbours on either side of a ring. */
  ringDegree: number;
  /** Connections started per second, all generators together, at most. */
  connectRate: number;
  /** Connection attempts under way at once, all generators together, at most. */
  connectInFlight: number;
  /** The connection ramp starts nothing new after this long. */
  connectBudgetMs: number;
  holdMs: number;
  pairs: number;
  /** Messages per second between the pairs, one step each. */
  rates: number[];
  warmupMs: number;
  measureMs: number;
  drainMs: number;
  /** The whole scenario, seeding to clean-up; the ramp is shortened to fit. */
  budgetMs: number;
}

export interface ClusterNodeResult {
  node: number;
  port: number;
  /** Ready connections on this node as the generators count them, after the hold. */
  held: number;
  /** The node's own `parley_connections` gauge (messaging pairs included). */
  gauge: number;
  openFiles: number;
  baseline: { rss: number; heapUsed: number };
  loaded: { rss: number; heapUsed: number; heapTotal: number };
  rssPerConnection: number;
  heapPerConnection: number;
  cpuRamp: number;
  cpuMessaging: number;
  eldHoldP99: number;
  eldHoldMax: number;
}

export interface ClusterStep {
  offered: number;
  sentRate: number;
  deliveredRate: number;
  latency: LatencySummary;
  ack: LatencySummary | null;
  generatorLagP99: number;
  lost: number;
  duplicates: number;
  ackErrors: number;
  /** Connections still held (generators' count) when the step ended. */
  heldAfter: number;
  /** CPU in use on the whole machine during the step (cores), ours and everyone else's. */
  machineBusy: number;
}

export interface ClusterResult {
  plan: ClusterPlan;
  target: number;
  /** Connection generator processes used. */
  generators: number;
  /** Why the target is lower than asked (open files, memory), or the ramp shorter; never silent. */
  notes: string[];
  seed: { ms: number; parts: Record<string, number>; rows: Record<string, number> } | null;
  buddiesPerUser: number;
  connects: {
    users: number;
    ready: number;
    failed: number;
    skipped: number;
    errors: Record<string, number>;
    achievedRate: number;
    spanMs: number;
    latency: LatencySummary;
    presenceEvents: number;
    /** CPU of all connection generators together during the ramp (1.0 = one core). */
    generatorCpu: number;
    /** CPU time of the three nodes together during the ramp, per connection made (ms). */
    nodeCpuMsPerConnection: number;
  } | null;
  held: number;
  heldPerNode: number[];
  /** Of `held`: the messaging pairs' connections. */
  messagingHeld: number;
  /** RSS of all connection generators together while holding, and before the ramp. */
  generatorRss: number;
  generatorRssIdle: number;
  dropped: Record<string, number>;
  nodes: ClusterNodeResult[];
  messaging: { pairs: number; connectMs: number; steps: ClusterStep[] } | null;
  /** Load average (1 min) at the start and end of the scenario. */
  load: { start: number; end: number };
  durationS: number;
  cleanup: string[];
  error?: string;
}

const connWorkerFile = new URL('../workers/cluster-conn-worker.ts', import.meta.url);
const msgWorkerFile = new URL('../workers/cluster-msg-worker.ts', import.meta.url);

/** After the ramp's last start: how long its attempts still under way may take. */
const STRAGGLERS_MS = 20_000;
/** How long the messaging pairs may take to connect. */
const MSG_CONNECT_MS = 60_000;
/** Open files a node needs besides its client connections (database pool, Redis, pipes, libraries). */
const NODE_FD_RESERVE = 1000;
/** What one held connection costs in memory, server and client together, to judge what fits (a node: 37 KB heap, 20–80 KB RSS at 3,000 connections; with margin). */
const BYTES_PER_CONNECTION = 120 * 1024;

function memAvailable(): number {
  try {
    const line = readFileSync('/proc/meminfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('MemAvailable:'));
    return Number(line?.split(/\s+/)[1]) * 1024;
  } catch {
    return NaN;
  }
}

function loadAverage(): number {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return NaN;
  }
}

function machineBusy(): { busy: number; at: number } {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
    const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: (total - idle) / 100, at: performance.now() / 1000 };
  } catch {
    return { busy: NaN, at: performance.now() / 1000 };
  }
}

/** Deletes every key under `prefix`. */
async function dropRedisPrefix(prefix: string): Promise<number> {
  const redis = new Redis(BENCH_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

async function redisReachable(): Promise<string | null> {
  const redis = new Redis(BENCH_REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let cause = '';
  redis.on('error', (err: Error) => (cause = err.message));
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (err) {
    return `Redis at ${BENCH_REDIS_URL}: ${cause || (err as Error).message}`;
  } finally {
    redis.disconnect();
  }
}

/** The `parley_connections` gauge of a node, or NaN. */
async function gauge(url: string, token: string): Promise<number> {
  try {
    const response = await fetch(`${url}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    const line = text.split('\n').find((l) => l.startsWith('parley_connections '));
    return line ? Number(line.split(' ')[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** One node as an operator starts it (see backend/scripts/cluster.ts), with the bench's probe preloaded. */
function startNode(i: number, port: number, env: Record<string, string>): Promise<ServerProcess> {
  return startServer({
    name: `node-${i + 1}`,
    script: join(repoRoot, 'backend', 'src', 'main.ts'),
    port,
    ready: { path: '/healthz' },
    readyTimeoutMs: 120_000,
    env,
  });
}

export async function runCluster(plan: ClusterPlan): Promise<ClusterResult> {
  const started = Date.now();
  const left = () => started + plan.budgetMs - Date.now();
  const result: ClusterResult = {
    plan,
    target: plan.connections,
    generators: plan.generators,
    notes: [],
    seed: null,
    buddiesPerUser: 2 * plan.ringDegree,
    connects: null,
    held: 0,
    heldPerNode: [],
    generatorRss: NaN,
    generatorRssIdle: NaN,
    messagingHeld: 0,
    dropped: {},
    nodes: [],
    messaging: null,
    load: { start: loadAverage(), end: NaN },
    durationS: 0,
    cleanup: [],
  };
  const missing = await redisReachable();
  if (missing) {
    result.error = `skipped: ${missing}`;
    log(`cluster: ${result.error}`);
    return result;
  }

  // What this machine can hold: open files per node, memory for servers and clients together.
  const limits = openFileLimit();
  const perNodeCap = Math.floor(limits.soft - NODE_FD_RESERVE);
  if (plan.connections / plan.nodes > perNodeCap) {
    result.target = perNodeCap * plan.nodes;
    result.notes.push(
      `Target lowered from ${fmtInt(plan.connections)} to ${fmtInt(result.target)}: each node may hold ${fmtInt(perNodeCap)} ` +
        `(open-files limit ${fmtInt(limits.soft)} less ${NODE_FD_RESERVE} for the node's own files).`,
    );
  }
  const generators = Math.max(plan.generators, Math.ceil(result.target / perNodeCap));
  result.generators = generators;
  if (plan.ringDegree < 10) {
    result.notes.push(
      `Users have ${2 * plan.ringDegree} mutual buddies each, fewer than the 20 of scenario 1, so that the ramp fits the time budget.`,
    );
  }
  const memory = memAvailable();
  if (Number.isFinite(memory) && result.target * BYTES_PER_CONNECTION > memory * 0.8) {
    const fits = Math.floor((memory * 0.8) / BYTES_PER_CONNECTION);
    result.notes.push(
      `Target lowered from ${fmtInt(result.target)} to ${fmtInt(fits)}: ${(memory / 2 ** 30).toFixed(1)} GiB of memory available, ` +
        `about ${BYTES_PER_CONNECTION / 1024} KB needed per connection (server and client).`,
    );
    result.target = fits;
  }
  for (const note of result.notes) log(`cluster: ${note}`);

  const prefix = `parley-bench:${randomBytes(6).toString('hex')}:`;
  const metricsToken = randomBytes(16).toString('hex');
  let database: BenchDatabase | undefined;
  const nodes: ServerProcess[] = [];
  const workers: WorkerHandle[] = [];
  let msgWorker: WorkerHandle | undefined;
  // Cluster mode stores files on S3-compatible storage: a development server (s3rver) in this process.
  let s3: TestS3 | undefined;
  const s3Dir = tempDir();
  // Interrupted (Ctrl-C): still remove the database and the keys before going.
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await Promise.all(
        [...workers, ...(msgWorker ? [msgWorker] : [])].map((w) => w.call('close', {}, 20_000).catch(() => undefined)),
      );
      await Promise.all(nodes.map((n) => n.stop(10_000).catch(() => undefined)));
      await Promise.all([...workers, ...(msgWorker ? [msgWorker] : [])].map((w) => w.stop()));
      await s3?.close().catch(() => undefined);
      rmSync(s3Dir, { recursive: true, force: true });
      if (database) {
        await database.drop().then(
          () => result.cleanup.push(`database ${database!.name} dropped`),
          (err: unknown) => result.cleanup.push(`database ${database!.name} NOT dropped: ${String(err)}`),
        );
      }
      await dropRedisPrefix(prefix).then(
        (n) => result.cleanup.push(`${n} Redis keys under ${prefix} deleted`),
        (err: unknown) => result.cleanup.push(`Redis keys under ${prefix} NOT deleted: ${String(err)}`),
      );
    })());
  const interrupted = () => {
    log('cluster: interrupted; removing the database and Redis keys');
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  try {
    // The generators start (and load their code) while the database is seeded and the nodes start.
    for (let i = 0; i < generators; i++) {
      workers.push(startWorker(connWorkerFile, `cluster-conn-${i}`, ['--max-old-space-size=4096']));
    }
    msgWorker = startWorker(msgWorkerFile, 'cluster-msg');
    database = await createBenchDatabase();
    const messagingUsers = plan.pairs * 2;
    log(`cluster: seeding PostgreSQL database ${database.name}…`);
    const seeded = await seedPostgres(database.url, {
      ringUsers: messagingUsers + result.target,
      ringDegree: plan.ringDegree,
    });
    result.seed = { ms: seeded.ms, parts: seeded.parts, rows: seeded.rows };
    log(
      `cluster: seeded ${fmtInt(seeded.rows.users)} users, ${fmtInt(seeded.rows.buddies)} buddy rows in ${(seeded.ms / 1000).toFixed(1)} s`,
    );

    const ports = await Promise.all(Array.from({ length: plan.nodes }, () => freePort()));
    s3 = await startS3(join(s3Dir, 's3'));
    const env = {
      ...s3.env,
      DATABASE_URL: database.url,
      REDIS_URL: BENCH_REDIS_URL,
      REDIS_PREFIX: prefix,
      METRICS_TOKEN: metricsToken,
      // As in the single-node scenarios: no per-user message limit, quiet logs.
      MESSAGE_RATE: '1000000',
      LOGIN_RATE_ADDRESS: '1000000',
      LOG_LEVEL: 'warn',
      PARLEY_DEMO: '1',
      NODE_ENV: 'production',
    };
    // The first node migrates (nothing is left to do) and seeds the demo; the others start together.
    nodes.push(await startNode(0, ports[0]!, env));
    nodes.push(...(await Promise.all(ports.slice(1).map((port, i) => startNode(i + 1, port, env)))));
    const urls = nodes.map((n) => n.url);
    log(`cluster: ${nodes.length} nodes up: ${urls.join(' ')}`);
    const baselines = await Promise.all(nodes.map((n) => n.probe({ gc: true, reset: true })));

    // --- The messaging pairs connect first, to the idle cluster, and are held from then on.
    const pairs: [Peer, Peer][] = Array.from({ length: plan.pairs }, (_, i) => [
      seeded.ring[2 * i]!,
      seeded.ring[2 * i + 1]!,
    ]);
    const pairNodes = pairs.map((_, i): [number, number] => [i % plan.nodes, (i + 1) % plan.nodes]);
    await msgWorker.call('init', { urls, pairs, nodes: pairNodes, tag: 'c0', localAddress: '127.0.0.20' });
    const { ms: connectMs } = await msgWorker.call<{ ms: number }>(
      'connect',
      { timeoutMs: MSG_CONNECT_MS },
      MSG_CONNECT_MS + 30_000,
    );
    result.messaging = { pairs: plan.pairs, connectMs, steps: [] };
    log(`cluster: ${plan.pairs} messaging pairs connected across nodes in ${(connectMs / 1000).toFixed(1)} s`);
    // --- Connections, spread over the nodes (user i on node i mod n) and the generators.
    const holders = seeded.ring.slice(messagingUsers).map((peer, i) => ({ peer, node: i % plan.nodes }));
    const sources = split(loopbackSources(16, 60), generators);
    await Promise.all(workers.map((w, i) => w.call('init', { urls, localAddresses: sources[i], name: w.name })));
    // Keep room for holding, messaging and cleaning up after the ramp.
    const reserve =
      STRAGGLERS_MS + plan.holdMs + plan.rates.length * (plan.warmupMs + plan.measureMs + plan.drainMs) + 40_000;
    const rampBudget = Math.max(10_000, Math.min(plan.connectBudgetMs, left() - reserve));
    if (rampBudget < plan.connectBudgetMs) {
      log(
        `cluster: the ramp gets ${(rampBudget / 1000).toFixed(0)} s (of ${plan.connectBudgetMs / 1000} s) to fit the budget`,
      );
    }
    log(
      `cluster: ${fmtInt(holders.length)} connections from ${generators} generators, ≤ ${plan.connectRate}/s, ` +
        `≤ ${plan.connectInFlight} at once, ${(rampBudget / 1000).toFixed(0)} s at most`,
    );
    const statusOf = () => Promise.all(workers.map((w) => w.call<ClusterConnStatus>('status', {}, 30_000)));
    const genBefore = await statusOf();
    const genCpuBefore = genBefore.reduce((a, s) => a + s.cpuMs, 0);
    result.generatorRssIdle = genBefore.reduce((a, s) => a + s.rss, 0);
    const rampStarted = performance.now();
    const nodeCpuBefore = nodes.map((n) => sampleProc(n.pid)?.cpuSeconds ?? NaN);
    const cpuRamp = nodes.map((n) => new CpuMonitor(() => n.pid, 1000));
    cpuRamp.forEach((m) => m.start());
    const progress = setInterval(() => {
      void statusOf()
        .then((all) => {
          const per = nodes.map((_, k) => all.reduce((a, s) => a + s.connected[k]!, 0));
          log(`cluster: ${fmtInt(per.reduce((a, b) => a + b, 0))} connected (${per.map(fmtInt).join(' / ')})`);
        })
        .catch(() => undefined);
    }, 15_000);
    const parts = split(holders, workers.length);
    let outcomes: ClusterConnectResult[];
    try {
      outcomes = await Promise.all(
        workers.map((w, i) =>
          w.call<ClusterConnectResult>(
            'connect',
            {
              users: parts[i],
              rate: plan.connectRate / workers.length,
              maxInFlight: Math.max(1, Math.round(plan.connectInFlight / workers.length)),
              budgetMs: rampBudget,
              timeoutMs: STRAGGLERS_MS,
            },
            rampBudget + STRAGGLERS_MS + 60_000,
          ),
        ),
      );
    } finally {
      clearInterval(progress);
    }
    const rampCpu = cpuRamp.map((m) => m.stop().mean);
    const nodeCpuSeconds = nodes.reduce((a, n, k) => a + (sampleProc(n.pid)?.cpuSeconds ?? NaN) - nodeCpuBefore[k]!, 0);
    const generatorCpu =
      ((await statusOf()).reduce((a, s) => a + s.cpuMs, 0) - genCpuBefore) / (performance.now() - rampStarted);
    const errors: Record<string, number> = {};
    for (const o of outcomes) for (const [k, v] of Object.entries(o.errors)) errors[k] = (errors[k] ?? 0) + v;
    const ready = outcomes.reduce((a, o) => a + o.ready, 0);
    const spanMs = Math.max(...outcomes.map((o) => o.spanMs));
    result.connects = {
      users: holders.length,
      ready,
      failed: outcomes.reduce((a, o) => a + o.failed, 0),
      skipped: outcomes.reduce((a, o) => a + o.skipped, 0),
      errors,
      achievedRate: ready / (spanMs / 1000),
      spanMs,
      latency: summarize(mergeHistograms(outcomes.map((o) => o.latency))),
      presenceEvents: outcomes.reduce((a, o) => a + o.presenceEvents, 0),
      generatorCpu,
      nodeCpuMsPerConnection: (nodeCpuSeconds * 1000) / Math.max(1, ready),
    };
    log(
      `cluster: ${fmtInt(ready)}/${fmtInt(holders.length)} ready at ${result.connects.achievedRate.toFixed(0)}/s, ` +
        `p50 ${result.connects.latency.p50} ms, p99 ${result.connects.latency.p99} ms, errors ${JSON.stringify(errors)}`,
    );
    if (result.connects.skipped) {
      const cores = availableParallelism();
      const needS = (holders.length * result.connects.nodeCpuMsPerConnection) / 1000;
      result.notes.push(
        `At ${result.connects.nodeCpuMsPerConnection.toFixed(1)} ms of node CPU per connection (measured here), ` +
          `${fmtInt(holders.length)} connections need ${needS.toFixed(0)} CPU-seconds of the nodes alone: ` +
          `${(needS / cores).toFixed(0)} s with all ${cores} cores on the nodes and nothing else running.`,
      );
      result.notes.push(
        `The ramp stopped after ${(rampBudget / 1000).toFixed(0)} s (the scenario's time budget): ` +
          `${fmtInt(result.connects.skipped)} of ${fmtInt(holders.length)} users were not tried, at ` +
          `${result.connects.achievedRate.toFixed(0)} connections/s on this machine.`,
      );
    }

    // --- Hold, then memory and event-loop delay per node.
    await Promise.all(nodes.map((n) => n.probe({ reset: true })));
    await sleep(plan.holdMs);
    const holds = await Promise.all(nodes.map((n) => n.probe({ reset: true })));
    const statuses = await Promise.all(workers.map((w) => w.call<ClusterConnStatus>('status')));
    const messagingPerNode = await msgWorker.call<number[]>('connected');
    result.heldPerNode = nodes.map((_, k) => statuses.reduce((a, s) => a + s.connected[k]!, messagingPerNode[k]!));
    result.held = result.heldPerNode.reduce((a, b) => a + b, 0);
    result.messagingHeld = messagingPerNode.reduce((a, b) => a + b, 0);
    result.generatorRss = statuses.reduce((a, s) => a + s.rss, 0);
    for (const s of statuses)
      for (const [k, v] of Object.entries(s.dropped)) result.dropped[k] = (result.dropped[k] ?? 0) + v;
    const loaded: Awaited<ReturnType<ServerProcess['probe']>>[] = [];
    for (const n of nodes) loaded.push(await n.probe({ gc: true })); // one at a time: a full GC of each
    const gauges = await Promise.all(nodes.map((n) => gauge(n.url, metricsToken)));
    result.nodes = nodes.map((n, k) => ({
      node: k + 1,
      port: n.port,
      held: result.heldPerNode[k]!,
      gauge: gauges[k]!,
      openFiles: openFiles(n.pid),
      baseline: { rss: baselines[k]!.rss, heapUsed: baselines[k]!.heapUsed },
      loaded: { rss: loaded[k]!.rss, heapUsed: loaded[k]!.heapUsed, heapTotal: loaded[k]!.heapTotal },
      rssPerConnection: (loaded[k]!.rss - baselines[k]!.rss) / Math.max(1, result.heldPerNode[k]!),
      heapPerConnection: (loaded[k]!.heapUsed - baselines[k]!.heapUsed) / Math.max(1, result.heldPerNode[k]!),
      cpuRamp: rampCpu[k]!,
      cpuMessaging: NaN,
      eldHoldP99: holds[k]!.eld.p99,
      eldHoldMax: holds[k]!.eld.max,
    }));
    log(
      `cluster: held ${fmtInt(result.held)} (${result.heldPerNode.map(fmtInt).join(' / ')}); ` +
        result.nodes
          .map(
            (n) =>
              `node ${n.node} RSS ${(n.loaded.rss / 2 ** 20).toFixed(0)} MiB heap ${(n.loaded.heapUsed / 2 ** 20).toFixed(0)} MiB`,
          )
          .join(', '),
    );

    // --- Cross-node messages while the connections are held.
    let index = 0;
    for (const rate of plan.rates) {
      const cpu = nodes.map((n) => new CpuMonitor(() => n.pid, 500));
      cpu.forEach((m) => m.start());
      const busyBefore = machineBusy();
      const outcome = await msgWorker.call<StepResult>(
        'step',
        { step: ++index, rate, warmupMs: plan.warmupMs, measureMs: plan.measureMs, drainMs: plan.drainMs },
        plan.warmupMs + plan.measureMs + plan.drainMs + 60_000,
      );
      const busyAfter = machineBusy();
      const used = cpu.map((m) => m.stop().mean);
      result.nodes.forEach((n, k) => (n.cpuMessaging = used[k]!));
      const after = await Promise.all(workers.map((w) => w.call<ClusterConnStatus>('status')));
      const messagingAfter = await msgWorker.call<number[]>('connected');
      const windowS = outcome.measureMs / 1000;
      const ackHist = mergeHistograms([outcome.ack]);
      const step: ClusterStep = {
        offered: rate,
        sentRate: outcome.measuredSent / windowS,
        deliveredRate: outcome.measuredReceived / windowS,
        latency: summarize(mergeHistograms([outcome.latency])),
        ack: ackHist.totalCount ? summarize(ackHist) : null,
        generatorLagP99: summarize(mergeHistograms([outcome.lag])).p99,
        lost: outcome.sent - outcome.received,
        duplicates: outcome.duplicates,
        ackErrors: outcome.ackErrors,
        heldAfter: after.reduce(
          (a, s) => a + s.connected.reduce((x, y) => x + y, 0),
          messagingAfter.reduce((x, y) => x + y, 0),
        ),
        machineBusy: (busyAfter.busy - busyBefore.busy) / Math.max(1e-3, busyAfter.at - busyBefore.at),
      };
      result.messaging.steps.push(step);
      log(
        `cluster: cross-node ${rate}/s: delivered ${step.deliveredRate.toFixed(0)}/s, p50 ${step.latency.p50} ms, ` +
          `p99 ${step.latency.p99} ms, p99.9 ${step.latency.p999} ms, max ${step.latency.max} ms, lost ${step.lost}, ` +
          `${fmtInt(step.heldAfter)} connections still held`,
      );
    }
  } catch (err) {
    result.error = err instanceof Error ? err.message.split('\n')[0] : String(err);
    log(`cluster: ${result.error}`);
  } finally {
    log('cluster: stopping the nodes and generators, dropping the database and Redis keys…');
    await cleanup();
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    for (const line of result.cleanup) log(`cluster: ${line}`);
  }
  result.load.end = loadAverage();
  result.durationS = (Date.now() - started) / 1000;
  return result;
}
