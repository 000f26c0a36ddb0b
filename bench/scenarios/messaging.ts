import { readFileSync } from 'node:fs';
// Scenarios 2, 5 and 6: open-loop one-to-one messages at rising rates, the same generator logic
// for Parley, the bare Socket.IO relay and Prosody (XMPP). Each system gets the same pairs,
// body size and rates; stepping stops when the system breaks.
import { mergeHistograms, summarize, type LatencySummary } from '../lib/hist.ts';
import { startWorker, type WorkerHandle } from '../lib/rpc.ts';
import type { Peer } from '../lib/seed.ts';
import { log, sleep, split } from '../lib/util.ts';
import type { StepResult } from '../lib/open-loop.ts';

export interface RateStep {
  offered: number;
  /** Messages sent per second in the measured window (what the generator managed). */
  sentRate: number;
  /** Messages received per second in the measured window. */
  deliveredRate: number;
  latency: LatencySummary;
  ack: LatencySummary | null;
  /** How late the generator sent (p99, ms): high means the generator, not the server, fell behind. */
  generatorLagP99: number;
  lost: number;
  duplicates: number;
  ackErrors: number;
  generatorCpu: number;
  serverCpu: number | null;
  /** CPU in use on the whole machine during the step (cores), ours and everyone else's. */
  machineBusy: number;
  ok: boolean;
  why?: string;
  /** A broken step is run once more (a busy shared machine can break one by itself); why the first try broke. */
  firstTry?: string;
}

export interface MessagingResult {
  system: string;
  pairs: number;
  connectMs: number;
  steps: RateStep[];
  /** Where p99 passes 200 ms (see capacity). */
  knee: Capacity | null;
  /** After the first rate broke: how long the server took to answer every message sent so far. */
  recovery: { ms: number; pending: number }[];
  /** After the last step: messages the server had still not answered, and how long that was waited for. */
  backlog: { ms: number; pending: number } | null;
  error?: string;
}

export interface MessagingOptions {
  system: 'parley' | 'relay' | 'prosody';
  label: string;
  pairs: [Peer, Peer][];
  workers: number;
  rates: number[];
  warmupMs: number;
  measureMs: number;
  drainMs: number;
  /** Stepping stops after a step with p99 above this (ms). */
  breakP99Ms: number;
  /** How long to wait for a broken server to answer everything before stepping down. */
  recoveryMs: number;
  /** Worker init arguments besides pairs. */
  init: Record<string, unknown>;
  /** Server CPU use during a step (1.0 = one core), if the caller can measure it. */
  serverCpu?: { start(): void; stop(): number };
  /** Which run of several this is (0 for the first): keeps message ids unique across runs on one server. */
  round?: number;
}

/** One run of scenarios 5 and 2 (the bare relay, then Parley) of the several a full run makes. */
export interface MessagingRound {
  relay?: MessagingResult;
  parley?: MessagingResult;
}

/**
 * The round whose Parley / relay knee ratio (p99 ≤ KNEE_P99_MS) is the median of all rounds; with
 * only one system measured, the round with its median knee. With an even count, the lower middle.
 */
export function medianRound(rounds: MessagingRound[]): MessagingRound {
  const knee = (r: MessagingResult | undefined) => (r ? (capacity(r.steps, KNEE_P99_MS)?.rate ?? NaN) : NaN);
  const score = (r: MessagingRound) =>
    r.parley && r.relay ? knee(r.parley) / knee(r.relay) : r.parley ? knee(r.parley) : knee(r.relay);
  const ranked = rounds.filter((r) => Number.isFinite(score(r))).sort((a, b) => score(a) - score(b));
  return ranked[Math.floor((ranked.length - 1) / 2)] ?? rounds[0] ?? {};
}

export const KNEE_P99_MS = 200;

const workerFile = (system: MessagingOptions['system']) =>
  system === 'prosody'
    ? new URL('../workers/xmpp-worker.ts', import.meta.url)
    : new URL('../workers/msg-worker.ts', import.meta.url);

export interface Capacity {
  rate: number;
  /** 'below': even the lowest rate tried was over; 'at least': the highest rate tried was within. */
  bound: 'exact' | 'at least' | 'below';
}

/** Highest rate that keeps p99 ≤ limit with nothing lost, interpolated (log p99) between the steps around it. */
export function capacity(steps: RateStep[], limit: number): Capacity | null {
  if (!steps.length) return null;
  let below: RateStep | null = null;
  for (const s of steps) {
    const p99 = s.lost === 0 && s.ackErrors === 0 ? s.latency.p99 : Infinity;
    if (p99 <= limit) {
      below = s;
      continue;
    }
    if (!below) return { rate: s.offered, bound: 'below' };
    if (!Number.isFinite(p99)) return { rate: below.offered, bound: 'exact' };
    const f = (Math.log(limit) - Math.log(below.latency.p99)) / (Math.log(p99) - Math.log(below.latency.p99));
    return { rate: below.offered + Math.max(0, Math.min(1, f)) * (s.offered - below.offered), bound: 'exact' };
  }
  return { rate: below!.offered, bound: 'at least' };
}

/** Busy CPU seconds of the whole machine so far (from /proc/stat), and when it was read. */
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

/** Waits (bounded) until no sent message is still unanswered by the server. */
async function waitForBacklog(workers: WorkerHandle[], limitMs: number): Promise<{ ms: number; pending: number }> {
  const t0 = performance.now();
  for (;;) {
    const pending = (await Promise.all(workers.map((w) => w.call<number>('pending')))).reduce((a, b) => a + b, 0);
    const ms = performance.now() - t0;
    if (pending === 0 || ms > limitMs) return { ms, pending };
    await sleep(250);
  }
}

export async function runMessaging(options: MessagingOptions): Promise<MessagingResult> {
  const parts = split(options.pairs, options.workers);
  const workers: WorkerHandle[] = parts.map((_, i) =>
    startWorker(workerFile(options.system), `${options.system}-gen-${i}`),
  );
  const result: MessagingResult = {
    system: options.label,
    pairs: options.pairs.length,
    connectMs: NaN,
    steps: [],
    knee: null,
    recovery: [],
    backlog: null,
  };
  try {
    await Promise.all(
      workers.map((w, i) =>
        w.call('init', {
          ...options.init,
          pairs: parts[i],
          tag: `b${i}${options.round ? `r${options.round}` : ''}`,
          localAddress: `127.0.0.${10 + i}`,
        }),
      ),
    );
    const connected = await Promise.all(workers.map((w) => w.call<{ ms: number }>('connect', {}, 120_000)));
    result.connectMs = Math.max(...connected.map((c) => c.ms));
    let index = 0;
    const runStep = async (rate: number): Promise<RateStep> => {
      index++;
      const busyBefore = machineBusy();
      options.serverCpu?.start();
      const outcomes = await Promise.all(
        workers.map((w, i) =>
          w.call<StepResult>(
            'step',
            {
              step: index,
              rate: (rate * parts[i]!.length) / options.pairs.length,
              warmupMs: options.warmupMs,
              measureMs: options.measureMs,
              drainMs: options.drainMs,
            },
            options.warmupMs + options.measureMs + options.drainMs + 60_000,
          ),
        ),
      );
      const serverCpu = options.serverCpu?.stop() ?? null;
      const step = toStep(rate, outcomes, serverCpu, options.breakP99Ms);
      const busyAfter = machineBusy();
      step.machineBusy = (busyAfter.busy - busyBefore.busy) / Math.max(1e-3, busyAfter.at - busyBefore.at);
      result.steps.push(step);
      log(
        `${options.label} ${rate}/s: delivered ${step.deliveredRate.toFixed(0)}/s, p50 ${step.latency.p50} ms, ` +
          `p99 ${step.latency.p99} ms, max ${step.latency.max} ms, lost ${step.lost}, gen lag p99 ${step.generatorLagP99} ms` +
          (step.ok ? '' : ` -> broken (${step.why})`),
      );
      return step;
    };
    for (const rate of options.rates) {
      let step = await runStep(rate);
      if (!step.ok) {
        // Once more, after the server has answered everything: real overload breaks again.
        const recovered = await waitForBacklog(workers, options.recoveryMs);
        if (recovered.pending === 0) {
          result.steps.pop();
          const first = step;
          step = await runStep(rate);
          step.firstTry = first.why;
        }
      }
      if (!step.ok) break;
    }
    // Broken at the lowest rate already: once the backlog has cleared, step down to find where it
    // still holds.
    const first = options.rates[0]!;
    if (result.steps.length === 1 && !result.steps[0]!.ok) {
      for (const rate of [first / 2, first / 5]) {
        const recovered = await waitForBacklog(workers, options.recoveryMs);
        result.recovery.push(recovered);
        log(
          `${options.label}: ${recovered.pending ? `still ${recovered.pending} unanswered after` : 'backlog cleared in'} ${(recovered.ms / 1000).toFixed(1)} s`,
        );
        if (recovered.pending) break;
        const step = await runStep(rate);
        if (step.ok) break;
      }
      result.steps.sort((a, b) => a.offered - b.offered);
    }
    result.backlog = await waitForBacklog(workers, options.recoveryMs);
    if (result.backlog.pending) {
      log(
        `${options.label}: ${result.backlog.pending} messages still unanswered ${(result.backlog.ms / 1000).toFixed(0)} s after the last step`,
      );
    }
  } catch (err) {
    result.error = err instanceof Error ? err.message.split('\n')[0] : String(err);
    log(`${options.label}: ${result.error}`);
  } finally {
    await Promise.all(workers.map((w) => w.call('close', {}, 10_000).catch(() => undefined)));
    await Promise.all(workers.map((w) => w.stop()));
  }
  result.knee = capacity(result.steps, KNEE_P99_MS);
  return result;
}

function toStep(offered: number, outcomes: StepResult[], serverCpu: number | null, breakP99Ms: number): RateStep {
  const sum = (f: (o: StepResult) => number) => outcomes.reduce((a, o) => a + f(o), 0);
  const windowS = (outcomes[0]?.measureMs ?? 1) / 1000;
  const latency = summarize(mergeHistograms(outcomes.map((o) => o.latency)));
  const ackHist = mergeHistograms(outcomes.map((o) => o.ack));
  const lag = summarize(mergeHistograms(outcomes.map((o) => o.lag)));
  const sent = sum((o) => o.sent);
  const received = sum((o) => o.received);
  const lost = sent - received;
  const step: RateStep = {
    offered,
    sentRate: sum((o) => o.measuredSent) / windowS,
    deliveredRate: sum((o) => o.measuredReceived) / windowS,
    latency,
    ack: ackHist.totalCount ? summarize(ackHist) : null,
    generatorLagP99: lag.p99,
    lost,
    duplicates: sum((o) => o.duplicates),
    ackErrors: sum((o) => o.ackErrors),
    generatorCpu: sum((o) => o.cpuMs) / Math.max(1, ...outcomes.map((o) => o.elapsedMs)),
    serverCpu,
    machineBusy: NaN,
    ok: true,
  };
  const why: string[] = [];
  if (lost > 0) why.push(`${lost} of ${sent} not delivered in time`);
  if (step.ackErrors > 0) why.push(`${step.ackErrors} errors`);
  if (!(latency.p99 <= breakP99Ms)) why.push(`p99 over ${breakP99Ms} ms`);
  if (step.sentRate < offered * 0.95) why.push(`generator managed only ${step.sentRate.toFixed(0)}/s`);
  if (why.length) {
    step.ok = false;
    step.why = why.join('; ');
  }
  return step;
}
