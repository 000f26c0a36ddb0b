// The same open-loop generator as msg-worker.ts, speaking XMPP to Prosody with @xmpp/client: each
// user signs in (SASL PLAIN over loopback), announces presence, and sends <message type="chat">
// with the same 200-byte body to the same partner at the same rate. Both members of each pair
// live in this process, so latency is on one clock.
import { client, xml, type XmppClient, type Element } from '@xmpp/client';
import { encodeHistogram, newHistogram, recordMs } from '../lib/hist.ts';
import { serveRpc } from '../lib/rpc.ts';
import { padBody, type Peer } from '../lib/seed.ts';
import { pool, sleep } from '../lib/util.ts';
import type { StepArgs, StepResult } from './msg-worker.ts';

export interface XmppInit {
  service: string;
  domain: string;
  password: string;
  pairs: [Peer, Peer][];
  tag: string;
}

let init: XmppInit;
/** Messages sent and received over all steps: what is still on its way. */
let sentTotal = 0;
let receivedTotal = 0;
let clients: { peer: Peer; xmpp: XmppClient }[] = [];
let current: {
  step: number;
  measureFrom: number;
  measureTo: number;
  received: number;
  measuredReceived: number;
  seen: Set<number>;
  duplicates: number;
  latency: ReturnType<typeof newHistogram>;
} | null = null;

function onStanza(stanza: Element): void {
  if (!stanza.is('message')) return;
  const body = stanza.getChildText('body');
  if (!body) return;
  if (body.startsWith(`${init.tag} `)) receivedTotal++;
  if (!current) return;
  const [tag, stepText, kText, dueText] = body.split(' ', 4);
  if (tag !== init.tag || Number(stepText) !== current.step) return;
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

async function connect(): Promise<{ connected: number; ms: number }> {
  const started = performance.now();
  const peers = init.pairs.flat();
  clients = peers.map((peer) => {
    const xmpp = client({
      service: init.service,
      domain: init.domain,
      resource: 'bench',
      // PLAIN over loopback: the library would otherwise pick SCRAM (PBKDF2 in JavaScript) on an
      // unencrypted stream, and sign-in cost is not what this scenario measures.
      credentials: (authenticate) => authenticate({ username: peer.username, password: init.password }, 'PLAIN'),
    });
    xmpp.reconnect.stop();
    xmpp.on('error', () => undefined);
    xmpp.on('stanza', onStanza);
    return { peer, xmpp };
  });
  await pool(clients, 50, async (c) => {
    await c.xmpp.start();
    await c.xmpp.send(xml('presence'));
  });
  return { connected: clients.length, ms: performance.now() - started };
}

async function step(args: StepArgs): Promise<StepResult> {
  const latency = newHistogram();
  const lag = newHistogram();
  const interval = 1000 / args.rate;
  const total = Math.max(1, Math.round((args.rate * (args.warmupMs + args.measureMs)) / 1000));
  const t0 = performance.now() + 20;
  const measureFrom = t0 + args.warmupMs;
  const measureTo = measureFrom + args.measureMs;
  current = {
    step: args.step,
    measureFrom,
    measureTo,
    received: 0,
    measuredReceived: 0,
    seen: new Set(),
    duplicates: 0,
    latency,
  };
  const cpuStart = process.cpuUsage();
  const began = performance.now();
  const pairs = init.pairs.length;
  let sent = 0;
  let measuredSent = 0;
  let sendErrors = 0;
  const send = (k: number, due: number) => {
    const pair = init.pairs[k % pairs]!;
    const forward = Math.floor(k / pairs) % 2 === 0;
    const from = clients[(k % pairs) * 2 + (forward ? 0 : 1)]!;
    const to = forward ? pair[1] : pair[0];
    const body = padBody(`${init.tag} ${args.step} ${k} ${due.toFixed(3)} `);
    if (due >= measureFrom && due < measureTo) measuredSent++;
    from.xmpp
      .send(
        xml(
          'message',
          { to: `${to.username}@${init.domain}`, type: 'chat', id: `${init.tag}-${args.step}-${k}` },
          xml('body', {}, body),
        ),
      )
      .catch(() => sendErrors++);
    sent++;
    sentTotal++;
  };
  await new Promise<void>((resolve) => {
    let k = 0;
    const tick = () => {
      const now = performance.now();
      while (k < total) {
        const due = t0 + k * interval;
        if (due > now) break;
        recordMs(lag, now - due);
        send(k, due);
        k++;
      }
      if (k < total) setTimeout(tick, 1);
      else resolve();
    };
    setTimeout(tick, Math.max(0, t0 - performance.now()));
  });
  const deadline = performance.now() + args.drainMs;
  while (current.received < sent && performance.now() < deadline) await sleep(20);
  const cpu = process.cpuUsage(cpuStart);
  const result: StepResult = {
    sent,
    measuredSent,
    received: current.received,
    measuredReceived: current.measuredReceived,
    duplicates: current.duplicates,
    ackErrors: sendErrors,
    latency: encodeHistogram(latency),
    ack: encodeHistogram(newHistogram()),
    lag: encodeHistogram(lag),
    measureMs: args.measureMs,
    elapsedMs: performance.now() - began,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
  current = null;
  return result;
}

serveRpc({
  init: (args: XmppInit) => {
    init = args;
    return true;
  },
  connect,
  step,
  pending: () => sentTotal - receivedTotal,
  close: async () => {
    await Promise.all(clients.map((c) => c.xmpp.stop().catch(() => undefined)));
    clients = [];
    return true;
  },
});
