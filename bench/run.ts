// `npm run bench` (full, < 20 min) or `npm run bench -- --quick` (~3 min): drives the real Parley
// server over real sockets from separate processes, side by side with a bare Socket.IO relay and
// Prosody, then prints one report and writes it to bench/results/latest.md and latest.json.
// Options: --quick, --only=widget,drain,latency,relay,prosody,connections,storm,wire,cluster,
//          --connections=N, --connect-rate=N, --rounds=N (runs of scenarios 5 and 2; full 3, quick 1),
//          --cluster-connections=N (scenario 9),
//          --cpu-prof (profile the server during scenarios 1, 2, 3 and 4),
//          --out=DIR (default bench/results), --keep (keep the temporary data folder).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeMachine } from './lib/machine.ts';
import { openFileLimit } from './lib/procstat.ts';
import { summarizeProfile } from './lib/profile.ts';
import { ensureProsody, startProsody, type ProsodyServer } from './lib/prosody.ts';
import { renderReport, type BenchResults } from './lib/report.ts';
import { PASSWORD, seed, type Peer } from './lib/seed.ts';
import { CpuMonitor } from './lib/procstat.ts';
import { repoRoot, startParley, startRelay, type ServerProcess } from './lib/servers.ts';
import { fmtInt, freePort, log } from './lib/util.ts';
import { runCluster, type ClusterPlan } from './scenarios/cluster.ts';
import { ConnectionFleet, runConnections, runStorm } from './scenarios/connections.ts';
import { runDrain } from './scenarios/drain.ts';
import { medianRound, runMessaging, type MessagingOptions, type MessagingRound } from './scenarios/messaging.ts';
import { runWire } from './scenarios/wire.ts';
import { ensureChromium, runWidget } from './scenarios/widget.ts';

const SCENARIOS = [
  'widget',
  'drain',
  'latency',
  'relay',
  'prosody',
  'connections',
  'storm',
  'wire',
  'cluster',
] as const;
type Scenario = (typeof SCENARIOS)[number];

function parseArgs(argv: string[]) {
  const get = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const unknown = argv.filter(
    (a) =>
      !/^--(quick|keep|cpu-prof|only=.+|connections=\d+|connect-rate=\d+|rounds=\d+|cluster-connections=\d+|out=.+)$/.test(
        a,
      ),
  );
  if (unknown.length) {
    console.error(
      `unknown option(s): ${unknown.join(' ')}\n` +
        'usage: npm run bench [-- --quick] [--only=a,b] [--connections=N] [--connect-rate=N] [--rounds=N] [--cluster-connections=N] [--cpu-prof] [--out=DIR] [--keep]',
    );
    process.exit(2);
  }
  const only = get('only')?.split(',') as Scenario[] | undefined;
  for (const s of only ?? []) {
    if (!SCENARIOS.includes(s)) {
      console.error(`unknown scenario "${s}"; known: ${SCENARIOS.join(', ')}`);
      process.exit(2);
    }
  }
  return {
    quick: argv.includes('--quick'),
    keep: argv.includes('--keep'),
    cpuProf: argv.includes('--cpu-prof'),
    only: new Set<Scenario>(only ?? SCENARIOS),
    connections: get('connections') ? Number(get('connections')) : undefined,
    connectRate: get('connect-rate') ? Number(get('connect-rate')) : undefined,
    rounds: get('rounds') ? Math.max(1, Number(get('rounds'))) : undefined,
    clusterConnections: get('cluster-connections') ? Number(get('cluster-connections')) : undefined,
    out: get('out') ?? join(repoRoot, 'bench', 'results'),
  };
}

const args = parseArgs(process.argv.slice(2));
const FULL = {
  widgetRuns: 5,
  drainSingles: [100, 1000, 10_000],
  drainMany: { users: 1000, each: 100 },
  pairs: 200,
  rates: [500, 1000, 2000, 3000, 5000, 7500, 10_000, 15_000, 20_000, 30_000],
  /** Parley also starts below: where it holds if 500/s is already too much. */
  lowRates: [100, 250],
  /** The whole run should end by then; the connection ramp and the storm shrink to fit. */
  totalBudgetMs: 1_080_000,
  /** Runs of the relay and Parley messaging scenarios; the report takes the median ratio. */
  messagingRounds: 3,
  /** Scenario 8: each encoding `runs` times at `rate` messages/s for `seconds`. */
  wire: { rate: 1000, seconds: 6, pairs: 100, bytes: 200, runs: 3 },
  warmupMs: 1500,
  measureMs: 5000,
  drainMs: 5000,
  breakP99Ms: 1000,
  recoveryMs: 30_000,
  connections: 50_000,
  loginSample: 100,
  loginRate: 40,
  loginInFlight: 8,
  connectRate: 1500,
  connectInFlight: 500,
  /** The connection ramp stops starting new connections after this long. */
  connectBudgetMs: 150_000,
  holdMs: 10_000,
  storm: 5000,
  stormTimeoutMs: 90_000,
  /** Scenario 9, after the others (they are stopped by then), with a time budget of its own. */
  cluster: {
    nodes: 3,
    connections: 51_000,
    generators: 4,
    ringDegree: 10,
    connectRate: 1000,
    connectInFlight: 200,
    // The ramp runs at what three nodes, PostgreSQL, Redis and the generators manage together on
    // the machine: about 140/s on the project's 2 cores at first, about 100/s on average once tens
    // of thousands are held (43,483 in 7 minutes in the run of 2026-12-02): 51,000 need about 8.5.
    connectBudgetMs: 600_000,
    holdMs: 10_000,
    pairs: 200,
    rates: [1000],
    warmupMs: 2000,
    measureMs: 10_000,
    drainMs: 5000,
    budgetMs: 720_000,
  } satisfies ClusterPlan as ClusterPlan,
};
const QUICK: typeof FULL = {
  ...FULL,
  totalBudgetMs: 150_000,
  messagingRounds: 1,
  wire: { rate: 1000, seconds: 3, pairs: 100, bytes: 200, runs: 1 },
  widgetRuns: 2,
  drainMany: { users: 200, each: 100 },
  rates: [500, 1000, 2000, 5000, 10_000],
  warmupMs: 1000,
  measureMs: 2500,
  drainMs: 3000,
  recoveryMs: 10_000,
  connections: 1500,
  loginSample: 40,
  holdMs: 3000,
  connectBudgetMs: 30_000,
  storm: 1000,
  stormTimeoutMs: 45_000,
  cluster: {
    ...FULL.cluster,
    connections: 3000,
    generators: 2,
    connectBudgetMs: 30_000,
    holdMs: 3000,
    warmupMs: 1000,
    measureMs: 3000,
    drainMs: 3000,
    budgetMs: 150_000,
  },
};
const plan = args.quick ? QUICK : FULL;
const run = (s: Scenario) => args.only.has(s);

/** Builds the widget when its bundle is missing or older than its sources. */
function ensureWidgetBuilt(): void {
  const bundle = join(repoRoot, 'widget', 'dist', 'parley.js');
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
    }, 0);
  if (existsSync(bundle) && statSync(bundle).mtimeMs >= newest(join(repoRoot, 'widget', 'src'))) return;
  log('building the widget (npm run build)…');
  execFileSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: ['ignore', process.stderr, process.stderr] });
}

async function main(): Promise<void> {
  const started = Date.now();
  /** `wanted` ms, or less so that `reserve` ms are left before the run's time budget ends (20 s at least). */
  const within = (wanted: number, reserve: number) =>
    Math.max(20_000, Math.min(wanted, started + plan.totalBudgetMs - reserve - Date.now()));
  const limits = openFileLimit();
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const machine = describeMachine(dir, limits);
  log(
    `${args.quick ? 'quick' : 'full'} run; ${machine.cores} cores, ${machine.cpuModel}, load ${machine.loadAtStart.toFixed(2)}`,
  );
  if (machine.loadAtStart > machine.cores) {
    log(
      `warning: the machine is already busy (load ${machine.loadAtStart.toFixed(1)} on ${machine.cores} cores); figures will be low`,
    );
  }
  if (run('widget')) ensureWidgetBuilt();

  // Connections are capped by the open-files limit: every connection is a file descriptor in
  // the server process (which inherits this limit), and a few are needed for the database etc.
  let target = args.connections ?? plan.connections;
  let limitNote: string | null = null;
  const fdRoom = Math.floor(limits.soft - 150);
  if (target > fdRoom) {
    limitNote = `capped at ${fdRoom.toLocaleString('en-US')} by the open-files limit (RLIMIT_NOFILE ${machine.openFilesLimit}) of the server process`;
    log(`connections: ${limitNote}`);
    target = fdRoom;
  }
  const messagingUsers = plan.pairs * 2;
  const connectionUsers = run('connections') || run('storm') ? target : 0;

  const dbPath = join(dir, 'parley.db');
  log('seeding the database…');
  const seeded = await seed(dbPath, {
    ringUsers: Math.max(messagingUsers + connectionUsers, 1000),
    ringDegree: 10,
    drainSingles: run('drain') ? plan.drainSingles : [],
    drainMany: run('drain') ? plan.drainMany : { users: 0, each: 0 },
  });
  log(
    `seeded ${seeded.rows.users} users, ${seeded.rows.buddies} buddy rows, ${seeded.rows.messages} waiting messages in ${(seeded.ms / 1000).toFixed(1)} s`,
  );
  const pairs: [Peer, Peer][] = Array.from({ length: plan.pairs }, (_, i) => [
    seeded.ring[2 * i]!,
    seeded.ring[2 * i + 1]!,
  ]);
  const port = await freePort();
  const servers: ServerProcess[] = [];
  const track = (s: ServerProcess) => (servers.push(s), s);
  let server: ServerProcess = track(await startParley({ dbPath, port }));
  const restart = async (readyOnListen = false) => track(await startParley({ dbPath, port, readyOnListen }));
  log(`Parley is up at ${server.url} (pid ${server.pid})`);

  const results: BenchResults = {
    mode: args.quick ? 'quick' : 'full',
    startedAt: new Date(started).toISOString(),
    durationS: 0,
    machine,
    plan,
    seed: { ms: seeded.ms, parts: seeded.parts, rows: seeded.rows },
    widget: null,
    drain: null,
    messaging: {},
    prosody: null,
    connections: null,
    storm: null,
    messagingRounds: [],
    wire: null,
    cluster: null,
    profiles: [],
    serverWarnings: [],
    notes: [],
  };
  const cpuOf = (pid: () => number): MessagingOptions['serverCpu'] => {
    let monitor: CpuMonitor | undefined;
    return {
      start() {
        monitor = new CpuMonitor(pid, 500);
        monitor.start();
      },
      stop() {
        return monitor?.stop().mean ?? NaN;
      },
    };
  };
  const messagingBase = {
    pairs,
    workers: 2,
    rates: plan.rates,
    warmupMs: plan.warmupMs,
    measureMs: plan.measureMs,
    drainMs: plan.drainMs,
    breakP99Ms: plan.breakP99Ms,
    recoveryMs: plan.recoveryMs,
  };
  let fleet: ConnectionFleet | undefined;
  let prosody: ProsodyServer | undefined;
  let relay: ServerProcess | undefined;
  try {
    if (run('widget')) {
      log('scenario 7: the widget in Chromium');
      const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
      const missing = ensureChromium(chromiumPath, log);
      results.widget = missing
        ? { error: missing }
        : await runWidget({ url: server.url, runs: plan.widgetRuns, chromiumPath });
    }
    /** With --cpu-prof: a CPU profile of the Parley server during `phase`, summarized into the report. */
    const profiled = async <T>(phase: string, target: () => ServerProcess, work: () => Promise<T>): Promise<T> => {
      if (!args.cpuProf) return work();
      await target().profile('start');
      try {
        return await work();
      } finally {
        const file = join(args.out, `server-${phase}.cpuprofile`);
        mkdirSync(args.out, { recursive: true });
        await target()
          .profile('stop', file)
          .then(() => {
            results.profiles.push({ phase, ...summarizeProfile(file) });
            log(`server CPU profile of ${phase} written to ${file}`);
          })
          .catch((err: unknown) => log(`profile of ${phase}: ${String(err)}`));
      }
    };
    if (run('drain')) {
      log('scenario 3: offline drain');
      results.drain = await profiled(
        'scenario-3',
        () => server,
        () =>
          runDrain({
            url: server.url,
            singles: seeded.drainSingles,
            many: seeded.drainMany,
            timeoutMs: 120_000,
          }),
      );
    }
    // Scenarios 5 and 2 run `rounds` times, relay then Parley, and the report takes the round whose
    // ratio of the two knees is the median: one slow spell of the shared machine does not decide it.
    const rounds = args.rounds ?? plan.messagingRounds;
    const unprofiled = <T>(_phase: string, _target: () => ServerProcess, work: () => Promise<T>) => work();
    for (let r = 0; r < rounds; r++) {
      const round: MessagingRound = {};
      if (run('relay')) {
        log(`scenario 5: the bare Socket.IO relay${rounds > 1 ? `, run ${r + 1} of ${rounds}` : ''}`);
        relay = track(await startRelay(await freePort()));
        round.relay = await runMessaging({
          ...messagingBase,
          system: 'relay',
          label: 'bare relay',
          init: { url: relay.url, kind: 'relay' },
          serverCpu: cpuOf(() => relay!.pid),
          round: r,
        });
        await relay.stop();
        relay = undefined;
      }
      if (run('prosody') && r === 0) {
        log('scenario 6: Prosody (XMPP)');
        const available = ensureProsody(log);
        if (!available.ok) results.prosody = { available: false, reason: available.reason };
        else {
          const prosodyDir = join(dir, 'prosody');
          mkdirSync(prosodyDir);
          try {
            prosody = await startProsody({
              dir: prosodyDir,
              port: await freePort(),
              users: pairs.flat().map((p) => p.username),
              password: PASSWORD,
            });
            const p = prosody;
            const result = await runMessaging({
              ...messagingBase,
              system: 'prosody',
              label: 'Prosody',
              init: { service: `xmpp://127.0.0.1:${p.port}`, domain: p.domain, password: PASSWORD },
              serverCpu: cpuOf(() => p.pid),
            });
            results.prosody = { available: true, version: available.version };
            results.messaging.prosody = result;
          } catch (err) {
            results.prosody = {
              available: false,
              reason: err instanceof Error ? err.message.split('\n')[0]! : String(err),
            };
          } finally {
            await prosody?.stop();
            prosody = undefined;
          }
        }
      }
      if (run('latency')) {
        log(`scenario 2: latency and throughput (Parley)${rounds > 1 ? `, run ${r + 1} of ${rounds}` : ''}`);
        round.parley = await (r === 0 ? profiled : unprofiled)(
          'scenario-2',
          () => server,
          () =>
            runMessaging({
              ...messagingBase,
              system: 'parley',
              label: 'Parley',
              rates: [...plan.lowRates, ...plan.rates],
              init: { url: server.url, kind: 'parley' },
              serverCpu: cpuOf(() => server.pid),
              round: r,
            }),
        );
        // A server still working off a backlog would disturb what follows: start it afresh.
        if (round.parley.backlog?.pending) {
          log('restarting Parley: it is still working off the backlog of scenario 2');
          await server.kill();
          server = await restart();
          results.notes.push(
            `Parley was restarted after scenario 2 (run ${r + 1}): ${fmtInt(round.parley.backlog.pending)} messages were still unanswered ` +
              `${(round.parley.backlog.ms / 1000).toFixed(0)} s after its last step.`,
          );
        }
      }
      if (round.relay || round.parley) results.messagingRounds.push(round);
    }
    Object.assign(results.messaging, medianRound(results.messagingRounds));
    if (run('wire')) {
      log('scenario 8: wire encodings (JSON, MessagePack, permessage-deflate)');
      results.wire = await runWire(plan.wire);
    }
    if (run('connections') || run('storm')) {
      log(`scenario 1: ${target.toLocaleString('en-US')} connections`);
      const connecting = new ConnectionFleet(4, PASSWORD);
      fleet = connecting;
      const users = seeded.ring.slice(messagingUsers, messagingUsers + target);
      const sample = Math.min(plan.loginSample, users.length);
      results.connections = await profiled(
        'scenario-1',
        () => server,
        () =>
          runConnections({
            server,
            fleet: connecting,
            loginUsers: users.slice(0, sample),
            loginRate: plan.loginRate,
            loginInFlight: plan.loginInFlight,
            users: users.slice(sample),
            rate: args.connectRate ?? plan.connectRate,
            inFlight: plan.connectInFlight,
            budgetMs: within(plan.connectBudgetMs, plan.stormTimeoutMs / 2 + plan.holdMs + 30_000),
            holdMs: plan.holdMs,
            limitNote,
          }),
      );
      if (run('storm') && results.connections.held > 0) {
        const keep = Math.min(plan.storm, results.connections.held);
        log(`scenario 4: reconnect storm with ${keep.toLocaleString('en-US')} clients`);
        const storm = await runStorm({
          fleet: connecting,
          keep,
          server,
          restart: async () => {
            const next = await restart(true);
            if (args.cpuProf) await next.profile('start');
            return next;
          },
          timeoutMs: within(plan.stormTimeoutMs, 20_000),
        });
        results.storm = storm.result;
        server = storm.server;
        if (args.cpuProf) {
          const file = join(args.out, 'server-scenario-4.cpuprofile');
          await server
            .profile('stop', file)
            .then(() => results.profiles.push({ phase: 'scenario-4', ...summarizeProfile(file) }))
            .catch((err: unknown) => log(`profile of scenario 4: ${String(err)}`));
        }
      }
    }
  } finally {
    await fleet?.stop();
    await relay?.stop();
    await prosody?.stop();
    await server.stop();
    results.serverWarnings = summarizeWarnings(servers);
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
    else log(`data kept in ${dir}`);
  }
  if (run('cluster')) {
    const connections = args.clusterConnections ?? plan.cluster.connections;
    log(`scenario 9: a three-node cluster on PostgreSQL and Redis, ${connections.toLocaleString('en-US')} connections`);
    results.cluster = await runCluster({ ...plan.cluster, connections });
  }
  results.durationS = (Date.now() - started) / 1000;
  results.machine.loadAtEnd = loadavg()[0];
  mkdirSync(args.out, { recursive: true });
  // Written as the repository's formatter would write them, so `npm run format:check` stays green.
  const mdFile = join(args.out, 'latest.md');
  const jsonFile = join(args.out, 'latest.json');
  const report = await formatted(mdFile, renderReport(results));
  writeFileSync(mdFile, report);
  writeFileSync(jsonFile, await formatted(jsonFile, JSON.stringify(results, null, 2) + '\n'));
  process.stdout.write(report);
  log(`done in ${(results.durationS / 60).toFixed(1)} min; written to ${join(args.out, 'latest.md')} and latest.json`);
}

async function formatted(file: string, text: string): Promise<string> {
  try {
    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(file)) ?? {};
    return await prettier.format(text, { ...options, filepath: file });
  } catch {
    return text; // prettier missing: the content is the same, only its layout differs
  }
}

/** Warnings and errors the servers logged, counted by message. */
function summarizeWarnings(servers: ServerProcess[]): { server: string; message: string; count: number }[] {
  const merged = new Map<string, { server: string; message: string; count: number }>();
  for (const s of servers) {
    for (const [message, count] of s.warnings) {
      const key = `${s.name}\u0000${message}`;
      const entry = merged.get(key) ?? { server: s.name, message, count: 0 };
      entry.count += count;
      merged.set(key, entry);
    }
  }
  return [...merged.values()].sort((a, b) => b.count - a.count);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
