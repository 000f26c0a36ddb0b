// Renders the results as one Markdown report: the targets first, then a table per scenario.
import type { ClusterResult } from '../scenarios/cluster.ts';
import type { ConnectionsResult, PhaseResult, StormResult } from '../scenarios/connections.ts';
import type { DrainScenario } from '../scenarios/drain.ts';
import {
  capacity,
  KNEE_P99_MS,
  type Capacity,
  type MessagingResult,
  type MessagingRound,
} from '../scenarios/messaging.ts';
import type { WireResult } from '../scenarios/wire.ts';
import type { WidgetResult } from '../scenarios/widget.ts';
import type { Machine } from './machine.ts';
import { clusterTargetRows, renderCluster } from './report-cluster.ts';
import type { ProfileSummary } from './profile.ts';
import { fmtBytes, fmtInt, fmtMs } from './util.ts';

export interface BenchResults {
  mode: 'full' | 'quick';
  startedAt: string;
  durationS: number;
  machine: Machine;
  plan: Record<string, unknown>;
  seed: { ms: number; parts: Record<string, number>; rows: Record<string, number> };
  widget: WidgetResult | { error: string } | null;
  drain: DrainScenario | null;
  messaging: { parley?: MessagingResult; relay?: MessagingResult; prosody?: MessagingResult };
  prosody: { available: true; version: string } | { available: false; reason: string } | null;
  connections: ConnectionsResult | null;
  storm: StormResult | null;
  /** Every run of scenarios 5 and 2; `messaging.relay` and `messaging.parley` are the median one. */
  messagingRounds: MessagingRound[];
  wire: WireResult | null;
  /** Scenario 9 (absent in results written before it existed). */
  cluster?: ClusterResult | null;
  profiles: (ProfileSummary & { phase: string })[];
  serverWarnings: { server: string; message: string; count: number }[];
  notes: string[];
}

const fmtCapacity = (c: Capacity | null) =>
  !c ? '–' : c.bound === 'below' ? `< ${fmtInt(c.rate)}/s` : `${c.bound === 'at least' ? '≥ ' : ''}${fmtInt(c.rate)}/s`;

function ratio(a: Capacity | null, b: Capacity | null): { text: string; value: number | null } {
  if (!a || !b) return { text: '–', value: null };
  const v = a.rate / b.rate;
  if (a.bound === 'below' && b.bound !== 'below') return { text: `< ${v.toFixed(2)}`, value: v };
  if (a.bound === 'at least' && b.bound !== 'at least') return { text: `≥ ${v.toFixed(2)}`, value: v };
  if (b.bound === 'at least' && a.bound === 'exact') return { text: `≤ ${v.toFixed(2)}`, value: v };
  if (a.bound === b.bound && a.bound !== 'exact')
    return { text: `not comparable (both ${a.bound} the rates tried)`, value: null };
  return { text: v.toFixed(2), value: v };
}

/** One run's Parley / relay knee ratio as text, with its bound ("< 0.20") where a knee lay outside the rates tried. */
function roundRatioText(round: MessagingRound): string {
  const knee = (m: MessagingResult | undefined) => (m ? capacity(m.steps, KNEE_P99_MS) : null);
  return ratio(knee(round.parley), knee(round.relay)).text;
}

/** ", median of 3 runs: 0.22, 0.24, 0.31" when there were several runs of scenarios 5 and 2. */
function medianOf(rounds: MessagingRound[] | undefined): string {
  if (!rounds || rounds.length < 2) return '';
  const ratios = rounds.map(roundRatioText);
  return `; median of ${rounds.length} runs: ${ratios.join(', ')}`;
}

const yes = (met: boolean | null) => (met === null ? '–' : met ? 'met' : '**missed**');
const pct = (x: number | null | undefined) =>
  x === null || x === undefined || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(0)}%`;
const stepAt = (r: MessagingResult | undefined, rate: number) => r?.steps.find((s) => s.offered === rate);

function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n') + '\n';
}

function phaseRow(name: string, p: PhaseResult | null): (string | number)[] {
  if (!p) return [name, '–', '–', '–', '–', '–', '–', '–'];
  const errors = Object.entries(p.errors)
    .map(([k, v]) => `${k} ×${v}`)
    .join(', ');
  return [
    name,
    `${fmtInt(p.ready)} of ${fmtInt(p.users)}${p.skipped ? ` (${fmtInt(p.skipped)} not tried: time budget)` : ''}`,
    `${fmtInt(p.offeredRate)}/s, ≤ ${fmtInt(p.maxInFlight)} at once`,
    `${p.achievedRate.toFixed(p.achievedRate < 100 ? 1 : 0)}/s`,
    `${fmtMs(p.latency.p50)} / ${fmtMs(p.latency.p99)} / ${fmtMs(p.latency.max)}`,
    `${fmtInt(p.presenceEvents)} (${(p.presenceEvents / (p.spanMs / 1000)).toFixed(0)}/s)`,
    `${pct(p.generatorCpu)} (${fmtMs(p.generatorCpuMsPerConnect)} per session)`,
    errors || 'none',
  ];
}

export function renderReport(r: BenchResults): string {
  const m = r.machine;
  const out: string[] = [];
  const { parley, relay, prosody } = r.messaging;
  out.push(`# Parley benchmark (${r.mode} run)\n`);
  out.push(
    `${r.startedAt.replace('T', ' ').slice(0, 16)} UTC, ${(r.durationS / 60).toFixed(1)} min. ` +
      `Machine: ${m.cores} cores (${m.cpuModel}), ${fmtBytes(m.memoryBytes)} memory, ${m.os}, Node ${m.node}, ` +
      `data on ${m.disk}, open files ${m.openFilesLimit}. ` +
      `Load average when the run began ${m.loadAtStart.toFixed(2)}${m.loadAtEnd !== undefined ? `, when it ended ${m.loadAtEnd.toFixed(2)}` : ''}.\n`,
  );
  out.push(
    'One Parley process (`backend/src/main.ts`) on SQLite (WAL, synchronous=FULL: every message is on disk before its ' +
      'acknowledgement), per-user message rate and per-address sign-in limits raised; load generators are separate processes on the same machine, ' +
      'over loopback.\n',
  );

  // --- Targets
  const widget = r.widget && !('error' in r.widget && !('gzipTotal' in r.widget)) ? (r.widget as WidgetResult) : null;
  const at1000 = stepAt(parley, 1000);
  const parleyKnee = parley ? capacity(parley.steps, KNEE_P99_MS) : null;
  const relayKnee = relay ? capacity(relay.steps, KNEE_P99_MS) : null;
  const prosodyKnee = prosody ? capacity(prosody.steps, KNEE_P99_MS) : null;
  const parley50 = parley ? capacity(parley.steps, 50) : null;
  const relay50 = relay ? capacity(relay.steps, 50) : null;
  const ratioKnee = ratio(parleyKnee, relayKnee);
  const ratio50 = ratio(parley50, relay50);
  const drained10k = r.drain?.singles.find((s) => s.waiting === 10_000);
  const c = r.connections;
  const rows: (string | number)[][] = [];
  if (c) {
    rows.push([
      '1',
      'connected users held',
      '≥ 20,000 (aim 50,000)',
      `${fmtInt(c.held)}${c.limitNote ? ` (${c.limitNote})` : ''}`,
      yes(c.held >= 20_000),
    ]);
  }
  if (parley) {
    rows.push([
      '2',
      'Parley p99 at 1,000 messages/s',
      '≤ 50 ms',
      at1000
        ? `${fmtMs(at1000.latency.p99)}${at1000.lost ? ` (${fmtInt(at1000.lost)} not delivered in time)` : ''}`
        : 'step not reached',
      yes(at1000 ? at1000.ok && at1000.latency.p99 <= 50 : false),
    ]);
    rows.push(['2', `Parley knee (p99 passes ${KNEE_P99_MS} ms)`, '–', fmtCapacity(parleyKnee), '–']);
  }
  if (r.drain) {
    rows.push([
      '3',
      '10,000 waiting messages drained',
      '≤ 2 s',
      drained10k
        ? `${fmtMs(drained10k.ms)}${drained10k.verified ? ', in order, once' : `, ${drained10k.problems[0]}`}`
        : '–',
      yes(drained10k ? drained10k.ms <= 2000 && drained10k.verified : null),
    ]);
  }
  const many = r.drain?.many;
  if (many) {
    rows.push([
      '3',
      `${fmtInt(many.users)} users × ${fmtInt(many.each)} waiting drained at once`,
      '≤ 5 s',
      `${fmtMs(many.spanMs)}${many.verified === many.users ? ', in order, once' : `, ${many.verified} of ${many.users} verified`}`,
      yes(many.users >= 1000 ? many.spanMs <= 5000 && many.verified === many.users : null),
    ]);
  }
  if (r.storm) {
    rows.push([
      '4',
      `reconnect storm: ${fmtInt(r.storm.clients)} clients back and synced, from the server listening again`,
      '≤ 10 s',
      Number.isFinite(r.storm.allSyncedMs)
        ? `${fmtMs(r.storm.allSyncedAfterUpMs)} (${fmtMs(r.storm.allSyncedMs)} after the kill), server CPU ${pct(r.storm.serverCpuMean)} mean`
        : `${fmtInt(r.storm.synced)} of ${fmtInt(r.storm.clients)} within the time limit`,
      yes(r.storm.clients >= 5000 ? r.storm.allSyncedAfterUpMs <= 10_000 : null),
    ]);
  }
  if (parley && relay) {
    rows.push([
      '5',
      `Parley / bare relay throughput at equal p99 (≤ ${KNEE_P99_MS} ms)`,
      '≥ 0.5',
      `${ratioKnee.text} (${fmtCapacity(parleyKnee)} vs ${fmtCapacity(relayKnee)})${medianOf(r.messagingRounds)}`,
      yes(ratioKnee.value === null ? null : ratioKnee.value >= 0.5 && !ratioKnee.text.startsWith('<')),
    ]);
    rows.push([
      '5',
      'Parley / bare relay throughput at equal p99 (≤ 50 ms)',
      '–',
      `${ratio50.text} (${fmtCapacity(parley50)} vs ${fmtCapacity(relay50)})`,
      '–',
    ]);
  }
  if (r.prosody) {
    if (r.prosody.available && prosody) {
      const p1000 = stepAt(prosody, 1000);
      rows.push([
        '6',
        `Prosody ${r.prosody.version}: knee; p99 at 1,000/s`,
        '–',
        `${fmtCapacity(prosodyKnee)}; ${p1000 ? fmtMs(p1000.latency.p99) : 'step not reached'}${prosody.error ? ` (${prosody.error})` : ''}`,
        '–',
      ]);
      rows.push([
        '6',
        'Parley / Prosody throughput at equal p99 (≤ 200 ms)',
        '–',
        ratio(parleyKnee, prosodyKnee).text,
        '–',
      ]);
    } else if (!r.prosody.available) {
      rows.push(['6', 'Prosody', '–', `not measured: ${r.prosody.reason}`, '–']);
    }
  }
  if (r.widget) {
    if (widget) {
      rows.push([
        '7',
        'boot script (parley.js), gzip',
        '≤ 15 KB',
        `${(widget.bootGzip / 1024).toFixed(1)} KB (every script of a visit that opens the panel: ${(widget.gzipTotal / 1024).toFixed(1)} KB)`,
        yes(widget.bootGzip <= 15 * 1024),
      ]);
      rows.push([
        '7',
        'launcher visible after script start',
        '≤ 60 ms median',
        `${fmtMs(widget.launcherAfterScriptStart)} (median of ${widget.launcherLoads} loads; worst ${fmtMs(widget.launcherAfterScriptStartMax)}); ` +
          `floor in this browser: ${fmtMs(widget.floorAfterScriptStart)} (a script that only appends a button, ${widget.floorLoads} loads); ` +
          `the page's next frame after any script starts: ${fmtMs(widget.frameAfterScriptStart)}`,
        yes(widget.launcherAfterScriptStart <= 60),
      ]);
      rows.push([
        '7',
        'click to panel interactive',
        '≤ 150 ms',
        `${fmtMs(widget.clickToPanelCold)} at once on a first visit, ${fmtMs(widget.clickToPanelWarm)} with the chunks prefetched (medians)`,
        yes(widget.clickToPanelCold <= 150 && widget.clickToPanelWarm <= 150),
      ]);
      rows.push([
        '7',
        'socket connected after script start (signed in)',
        '–',
        `${fmtMs(widget.readyAfterScriptStart)} to session:ready (WebSocket open ${fmtMs(widget.socketOpenAfterScriptStart)})`,
        '–',
      ]);
    } else {
      rows.push(['7', 'widget', '–', `not measured: ${(r.widget as { error: string }).error}`, '–']);
    }
  }
  if (r.cluster) rows.push(...clusterTargetRows(r.cluster));
  out.push('## Targets\n');
  out.push(table(['#', 'measure', 'target', 'result', ''], rows));

  // --- Scenario 1
  if (c) {
    out.push('\n## 1. Connections\n');
    out.push(
      'Users with 20 mutual buddies each. A sample signs in with a password (`POST /sessions`, argon2id), then ' +
        'connects; the rest connect with a stored session at a steady rate from 16 loopback source addresses. ' +
        'Latency is from the start of the attempt to `session:ready`; presence events are `presence:changed` ' +
        'pushes the connected clients received meanwhile (the fan-out of each login to online buddies). ' +
        "Generator CPU is the load generators' own (socket.io-client, as the widget uses it), all processes " +
        "together (100% = one core), and per session ready; the server's is in the table below. Both share the " +
        "machine's cores, so a rate whose clients and server together need more than the machine has cannot be offered here.\n",
    );
    out.push(
      table(
        [
          'phase',
          'ready',
          'offered (cap)',
          'achieved',
          'latency p50 / p99 / max',
          'presence events',
          'generator CPU',
          'errors',
        ],
        [phaseRow('password sign-in + connect', c.logins), phaseRow('stored session connect', c.connects)],
      ),
    );
    out.push('\n');
    out.push(
      table(
        [
          'held',
          'server open files',
          'server RSS',
          'heap used',
          'RSS / connection',
          'heap / connection',
          'event-loop delay p99 (ramp / holding)',
          'server CPU during ramp (per session)',
        ],
        [
          [
            `${fmtInt(c.held)} of ${fmtInt(c.target)}`,
            fmtInt(c.serverOpenFiles),
            `${fmtBytes(c.baseline.rss)} → ${fmtBytes(c.loaded.rss)}`,
            `${fmtBytes(c.baseline.heapUsed)} → ${fmtBytes(c.loaded.heapUsed)}`,
            fmtBytes(c.rssPerConnection),
            fmtBytes(c.heapPerConnection),
            `${fmtMs(c.eldRampP99)} / ${fmtMs(c.eldHoldP99)}`,
            `${pct(c.serverCpuRamp)} (${fmtMs(c.serverCpuMsPerConnect)})`,
          ],
        ],
      ),
    );
    if (c.limitNote) out.push(`\nNote: ${c.limitNote}.\n`);
    if (c.error) out.push(`\nError: ${c.error}\n`);
  }

  // --- Scenarios 2, 5, 6
  const systems = [parley, relay, prosody].filter((x): x is MessagingResult => !!x);
  if (systems.length) {
    out.push('\n## 2, 5, 6. Latency and throughput\n');
    out.push(
      `One-to-one messages of 200 bytes among ${systems[0]!.pairs} pairs (both directions), sent open loop at each ` +
        'offered rate by 2 generator processes; latency is from the moment each message was due to its arrival at ' +
        'the recipient, on one clock (HdrHistogram). A step fails when a message is not delivered within ' +
        `${(r.plan.drainMs as number) / 1000} s after sending stops, p99 exceeds ${r.plan.breakP99Ms as number} ms, or the ` +
        'generator falls behind; a broken step is run once more after the server has answered everything, and ' +
        'stepping stops when it breaks again. "Machine busy" is all CPU in use on the machine meanwhile, ours and ' +
        `any other work, out of ${r.machine.cores} cores. ` +
        'Parley acknowledges a message after it is committed to ' +
        'SQLite; the bare relay acknowledges at once and stores nothing; Prosody (XMPP, offline storage on) has no ' +
        'acknowledgement and stores only messages for offline users. CPU: 100% = one core.\n',
    );
    const rowsM: (string | number)[][] = [];
    for (const s of systems) {
      for (const step of s.steps) {
        rowsM.push([
          s.system,
          fmtInt(step.offered),
          fmtInt(step.deliveredRate),
          fmtMs(step.latency.p50),
          fmtMs(step.latency.p99),
          fmtMs(step.latency.p999),
          fmtMs(step.latency.max),
          step.ack ? fmtMs(step.ack.p99) : '–',
          fmtInt(step.lost),
          pct(step.serverCpu),
          pct(step.generatorCpu),
          Number.isFinite(step.machineBusy) ? `${step.machineBusy.toFixed(2)} cores` : '–',
          (step.ok ? 'ok' : `broke: ${step.why}`) +
            (step.firstTry ? ` (second try; the first broke: ${step.firstTry})` : ''),
        ]);
      }
      if (s.error) rowsM.push([s.system, '–', '–', '–', '–', '–', '–', '–', '–', '–', '–', '–', `error: ${s.error}`]);
    }
    out.push(
      table(
        [
          'system',
          'offered/s',
          'delivered/s',
          'p50',
          'p99',
          'p99.9',
          'max',
          'ack p99',
          'lost',
          'server CPU',
          'generator CPU',
          'step',
        ],
        rowsM,
      ),
    );
    out.push('\n');
    out.push(
      table(
        [
          'system',
          `knee (p99 = ${KNEE_P99_MS} ms)`,
          'throughput at p99 ≤ 50 ms',
          `ratio to relay at ≤ ${KNEE_P99_MS} ms`,
          'ratio to relay at ≤ 50 ms',
        ],
        systems.map((s) => {
          const k = capacity(s.steps, KNEE_P99_MS);
          const f = capacity(s.steps, 50);
          return [s.system, fmtCapacity(k), fmtCapacity(f), ratio(k, relayKnee).text, ratio(f, relay50).text];
        }),
      ),
    );
    if (r.messagingRounds?.length > 1) {
      out.push(
        `\nThe bare relay and Parley ran ${r.messagingRounds.length} times each, in turn (relay, Parley, relay, …); the tables ` +
          'above show the run whose ratio is the median. Every run:\n',
      );
      out.push(
        table(
          ['run', 'bare relay knee', 'Parley knee', 'ratio', 'Parley p99 at 1,000/s', 'relay p99 at 1,000/s'],
          r.messagingRounds.map((round, i) => [
            String(i + 1),
            fmtCapacity(round.relay ? capacity(round.relay.steps, KNEE_P99_MS) : null),
            fmtCapacity(round.parley ? capacity(round.parley.steps, KNEE_P99_MS) : null),
            roundRatioText(round),
            fmtMs(stepAt(round.parley, 1000)?.latency.p99),
            fmtMs(stepAt(round.relay, 1000)?.latency.p99),
          ]),
        ),
      );
    }
    if (r.prosody && !r.prosody.available) out.push(`\nProsody: not measured (${r.prosody.reason}).\n`);
  } else if (r.prosody && !r.prosody.available) {
    out.push(`\nProsody: not measured (${r.prosody.reason}).\n`);
  }

  // --- Scenario 3
  if (r.drain) {
    out.push('\n## 3. Offline drain\n');
    out.push(
      'A user with messages waiting connects and pages through `inbox:sync` (500 per page) until it has all of them; ' +
        'each inbox is checked: seq 1…n, bodies in sending order, no message twice.\n',
    );
    const rowsD: (string | number)[][] = r.drain.singles.map((s) => [
      `1 user × ${fmtInt(s.waiting)}`,
      fmtMs(s.ms),
      fmtMs(s.readyMs),
      s.pages,
      s.verified ? 'in order, once' : s.problems.join('; '),
    ]);
    if (r.drain.many) {
      const d = r.drain.many;
      rowsD.push([
        `${fmtInt(d.users)} users × ${fmtInt(d.each)} at once`,
        `${fmtMs(d.spanMs)} (per user p50 ${fmtMs(d.perUser.p50)}, p99 ${fmtMs(d.perUser.p99)})`,
        '–',
        '–',
        d.verified === d.users
          ? `all ${fmtInt(d.users)} in order, once`
          : `${d.verified} of ${d.users} verified; ${d.problems.join('; ')}`,
      ]);
    }
    out.push(table(['waiting', 'time to all received', 'to session:ready', 'pages', 'check'], rowsD));
    if (r.drain.error) out.push(`\nError: ${r.drain.error}\n`);
  }

  // --- Scenario 4
  if (r.storm) {
    const s = r.storm;
    out.push('\n## 4. Reconnect storm\n');
    out.push(
      'The connected clients of scenario 1 lose the server: it is killed (SIGKILL, as in a crash) and started again ' +
        'on the same port and database. Clients reconnect as the widget does, with its own reconnect policy ' +
        '(`widget/src/core/reconnect-policy.ts`, imported by the load generator: full-jitter backoff from 0.5 s doubling ' +
        'to a 5 s cap, 20 s handshake timeout) and then sync their inbox from their cursor. The target counts from the ' +
        'moment the new server listens; the time after the kill adds its start-up.\n',
    );
    out.push(
      table(
        [
          'clients',
          'server back up',
          'all reconnected',
          'all synced',
          'synced after server up',
          'reconnected / synced',
          'sync errors',
          'server CPU mean / peak',
          'generator CPU mean',
        ],
        [
          [
            fmtInt(s.clients),
            fmtMs(s.restartMs),
            fmtMs(s.allReconnectedMs),
            fmtMs(s.allSyncedMs),
            fmtMs(s.allSyncedAfterUpMs),
            `${fmtInt(s.reconnected)} / ${fmtInt(s.synced)}`,
            fmtInt(s.syncErrors),
            `${pct(s.serverCpuMean)} / ${pct(s.serverCpuPeak)}`,
            pct(s.generatorCpuMean),
          ],
        ],
      ),
    );
    if (s.timeline.length) {
      out.push(
        `\nBack and synced, counted every 5 s after the new server listened: ${s.timeline.map((t) => `${t.afterUpS} s: ${fmtInt(t.synced)}`).join(', ')}.\n`,
      );
    }
    const failures = Object.entries(s.failures);
    if (failures.length) {
      out.push(
        `\nFailed attempts seen by the clients meanwhile: ${failures.map(([k, v]) => `${k} ×${fmtInt(v)}`).join(', ')}.\n`,
      );
    }
    if (s.error) out.push(`\nError: ${s.error}\n`);
  }

  // --- Scenario 7
  if (widget) {
    out.push('\n## 7. Widget\n');
    out.push(
      `Chromium ${widget.chromium} (headless, Playwright), the demo page served by Parley on localhost, ${widget.runs.length} runs ` +
        `and ${widget.launcherLoads - widget.runs.length} more first loads, each in a fresh browser context. Times are medians on the page's clock ` +
        'from the moment the widget script starts running, or from the click.\n',
    );
    out.push(
      table(
        ['script', 'raw', 'gzip'],
        widget.scripts.map((sc) => [
          sc.url.replace(/^https?:\/\/[^/]+/, ''),
          fmtBytes(sc.bytes),
          `${(sc.gzip / 1024).toFixed(1)} KB`,
        ]),
      ),
    );
    out.push(
      '\nparley.js is the boot script (loader, host API, launcher); the chunks under /parley/ load on demand: ' +
        'the core when the visitor may be signed in or opens the panel, the panel on the click (budgets: `npm run size`).\n\n',
    );
    out.push(
      '"floor": the same page in the same browser, with parley.js answered by a script that only reads `window.Parley` and ' +
        "appends a button of the launcher's size in a shadow root (`FLOOR_SCRIPT`, bench/scenarios/widget.ts), loaded in turn " +
        "with the extra loads. It is what showing any button costs in this browser on this machine; the launcher's time above it is the loader's own, and a difference of a few ms either way is noise. " +
        '"next frame": from the script starting to the next animation frame the page draws (median of every fresh load, ' +
        "Parley's and the floor's): nothing a script adds can be seen before it, and in this headless browser on this " +
        'machine the frames of a loading page come tens of ms apart.\n\n',
    );
    out.push(
      table(
        [
          'launcher visible',
          'floor: a bare button',
          'next frame after script start',
          'click to panel interactive (first visit / prefetched)',
          'sign-in click to session:ready',
          'returning visit: WebSocket open',
          'returning visit: session:ready',
        ],
        [
          [
            `${fmtMs(widget.launcherAfterScriptStart)} (${widget.launcherLoads} loads)`,
            `${fmtMs(widget.floorAfterScriptStart)} (${widget.floorLoads} loads)`,
            fmtMs(widget.frameAfterScriptStart),
            `${fmtMs(widget.clickToPanelCold)} / ${fmtMs(widget.clickToPanelWarm)}`,
            fmtMs(widget.signInToReady),
            fmtMs(widget.socketOpenAfterScriptStart),
            fmtMs(widget.readyAfterScriptStart),
          ],
        ],
      ),
    );
  }

  // --- Scenario 8
  if (r.wire) {
    const w = r.wire;
    out.push('\n## 8. Wire encodings\n');
    out.push(
      `The same traffic with each encoding: ${w.pairs} pairs, ${fmtInt(w.rate)} messages/s for ${w.seconds} s, ` +
        `text of ${w.bytes} bytes (random common words), each message as Parley carries it: \`message:send\` and its ` +
        "acknowledgement (the sending connection's copy of the entry), the `inbox:entry` to the recipient (and to the sender's other connections, none here), the recipient's delivered mark " +
        '(`conversation:read`) and its acknowledgement, and the receipt to the sender. The server ' +
        "(`bench/wire/server.ts`) carries Parley's packets without storing them, so only the encoding differs between " +
        'rows. Bytes are what the server read and wrote on its TCP connections (WebSocket frames, without TCP/IP ' +
        "headers), per message, after a second of warm-up; CPU is the server's, per message and as its mean use at that rate " +
        `(100% = one core). Each encoding ran ${w.rows[0]?.runs ?? 0} time(s), interleaved; medians.\n`,
    );
    const json = w.rows.find((x) => x.encoding === 'json');
    const names = {
      json: 'JSON (default parser)',
      msgpack: 'socket.io-msgpack-parser',
      deflate: 'JSON + permessage-deflate',
    };
    out.push(
      table(
        [
          'encoding',
          'bytes / message (up + down)',
          'vs JSON',
          'server CPU / message',
          'server CPU',
          'server RSS / connection',
          'complete',
        ],
        w.rows.map((x) => {
          const bytes = x.upPerMessage + x.downPerMessage;
          const base = json ? json.upPerMessage + json.downPerMessage : NaN;
          return [
            names[x.encoding],
            `${fmtInt(bytes)} (${fmtInt(x.upPerMessage)} + ${fmtInt(x.downPerMessage)})`,
            x === json || !json
              ? '–'
              : `${bytes >= base ? '+' : '−'}${Math.abs((bytes / base - 1) * 100).toFixed(0)}% bytes, ${x.cpuUsPerMessage >= json.cpuUsPerMessage ? '+' : '−'}${Math.abs((x.cpuUsPerMessage / json.cpuUsPerMessage - 1) * 100).toFixed(0)}% CPU`,
            `${x.cpuUsPerMessage.toFixed(0)} µs`,
            pct(x.serverCpu),
            fmtBytes(Math.max(0, Math.round(x.rssPerConnection))),
            `${fmtInt(x.complete)} of ${fmtInt(x.messages)}`,
          ];
        }),
      ),
    );
    if (w.error) out.push(`\nError: ${w.error}\n`);
  }

  // --- Scenario 9
  if (r.cluster) out.push(renderCluster(r.cluster));

  for (const profile of r.profiles) {
    out.push(`\n## Server CPU profile: ${profile.phase}\n`);
    out.push(
      `${(profile.sampledMs / 1000).toFixed(1)} s sampled; self time by package or file, and the hottest functions:\n`,
    );
    out.push(
      table(
        ['where', 'share'],
        profile.byPackage.map((p) => [p.name, pct(p.share)]),
      ),
    );
    out.push('\n');
    out.push(
      table(
        ['function', 'share'],
        profile.byFunction.map((p) => [p.name, pct(p.share)]),
      ),
    );
  }
  if (r.serverWarnings.length) {
    out.push('\n## Warnings the servers logged\n');
    out.push(
      table(
        ['server', 'message', 'count'],
        r.serverWarnings.slice(0, 10).map((w) => [w.server, w.message, fmtInt(w.count)]),
      ),
    );
  }
  for (const note of r.notes) out.push(`\nNote: ${note}\n`);
  out.push(
    `\nSeeding: ${fmtInt(r.seed.rows.users ?? 0)} users, ${fmtInt(r.seed.rows.buddies ?? 0)} buddy rows, ` +
      `${fmtInt(r.seed.rows.messages ?? 0)} waiting messages in ${(r.seed.ms / 1000).toFixed(1)} s. ` +
      'Raw figures: `latest.json` beside this file.\n',
  );
  return out.join('\n');
}
