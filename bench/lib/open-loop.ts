// One step of open-loop one-to-one traffic between pairs of users, whatever the protocol: message k
// of a step is due at t0 + k/rate whatever happened to earlier ones, and its latency is counted from
// that due time, so a stalled server (or generator) shows up in the figures instead of hiding. The
// body of each message ("tag step k due …") carries what the receiving side needs to measure it.
import { encodeHistogram, newHistogram, recordMs } from './hist.ts';
import { padBody, type Peer } from './seed.ts';
import { sleep } from './util.ts';

export interface StepArgs {
  step: number;
  /** Messages per second from this worker. */
  rate: number;
  warmupMs: number;
  measureMs: number;
  /** How long to wait for the last messages after sending stops. */
  drainMs: number;
}

export interface StepResult {
  sent: number;
  measuredSent: number;
  received: number;
  measuredReceived: number;
  duplicates: number;
  ackErrors: number;
  latency: string;
  ack: string;
  lag: string;
  measureMs: number;
  elapsedMs: number;
  cpuMs: number;
}

/** What became of one message as the sender learns it: acknowledged by the server, or failed. */
export interface SendOutcome {
  acked(): void;
  failed(): void;
}

/** One message to send: `id` is unique per tag, step and k. */
export interface Outgoing<C> {
  from: C;
  to: Peer;
  id: string;
  body: string;
}

/** The step in progress, as the receiving side counts it. */
let current: {
  tag: string;
  step: number;
  measureFrom: number;
  measureTo: number;
  received: number;
  measuredReceived: number;
  seen: Set<number>;
  duplicates: number;
  latency: ReturnType<typeof newHistogram>;
} | null = null;

/** Counts a message body that arrived for one of this worker's users, if it belongs to the current step. */
export function arrived(body: string): void {
  if (!current) return;
  const [tag, stepText, kText, dueText] = body.split(' ', 4);
  if (tag !== current.tag || Number(stepText) !== current.step) return;
  const now = performance.now();
  const k = Number(kText);
  if (current.seen.has(k)) {
    current.duplicates++;
    return;
  }
  current.seen.add(k);
  current.received++;
  const due = Number(dueText);
  if (due >= current.measureFrom && due < current.measureTo) {
    current.measuredReceived++;
    recordMs(current.latency, now - due);
  }
}

/**
 * Runs one step: `clients` are the pairs' members in order (pair i is clients 2i and 2i+1), and
 * messages alternate direction each round over the pairs. Waits (bounded) for the last ones.
 */
export async function runStep<C>(
  tag: string,
  pairs: readonly [Peer, Peer][],
  clients: readonly C[],
  args: StepArgs,
  send: (message: Outgoing<C>, outcome: SendOutcome) => void,
): Promise<StepResult> {
  const latency = newHistogram();
  const ack = newHistogram();
  const lag = newHistogram();
  const interval = 1000 / args.rate;
  const total = Math.max(1, Math.round((args.rate * (args.warmupMs + args.measureMs)) / 1000));
  const t0 = performance.now() + 20;
  const measureFrom = t0 + args.warmupMs;
  const measureTo = measureFrom + args.measureMs;
  const step = {
    tag,
    step: args.step,
    measureFrom,
    measureTo,
    received: 0,
    measuredReceived: 0,
    seen: new Set<number>(),
    duplicates: 0,
    latency,
  };
  current = step;
  const cpuStart = process.cpuUsage();
  const began = performance.now();
  let sent = 0;
  let measuredSent = 0;
  let ackErrors = 0;
  const sendOne = (k: number, due: number) => {
    const pair = pairs[k % pairs.length]!;
    const forward = Math.floor(k / pairs.length) % 2 === 0;
    const from = clients[(k % pairs.length) * 2 + (forward ? 0 : 1)]!;
    const to = forward ? pair[1] : pair[0];
    const body = padBody(`${tag} ${args.step} ${k} ${due.toFixed(3)} `);
    const measured = due >= measureFrom && due < measureTo;
    if (measured) measuredSent++;
    send(
      { from, to, id: `${tag}-${args.step}-${k}`, body },
      {
        acked: () => {
          if (measured) recordMs(ack, performance.now() - due);
        },
        failed: () => ackErrors++,
      },
    );
    sent++;
  };
  await new Promise<void>((resolve) => {
    let k = 0;
    const tick = () => {
      const now = performance.now();
      while (k < total) {
        const due = t0 + k * interval;
        if (due > now) break;
        recordMs(lag, now - due);
        sendOne(k, due);
        k++;
      }
      if (k < total) setTimeout(tick, 1);
      else resolve();
    };
    setTimeout(tick, Math.max(0, t0 - performance.now()));
  });
  // Wait (bounded) for what is still on its way.
  const deadline = performance.now() + args.drainMs;
  while (step.received < sent && performance.now() < deadline) await sleep(20);
  const cpu = process.cpuUsage(cpuStart);
  current = null;
  return {
    sent,
    measuredSent,
    received: step.received,
    measuredReceived: step.measuredReceived,
    duplicates: step.duplicates,
    ackErrors,
    latency: encodeHistogram(latency),
    ack: encodeHistogram(ack),
    lag: encodeHistogram(lag),
    measureMs: args.measureMs,
    elapsedMs: performance.now() - began,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}
