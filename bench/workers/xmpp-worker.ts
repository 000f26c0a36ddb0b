// The same open-loop generator as msg-worker.ts, speaking XMPP to Prosody with @xmpp/client: each
// user signs in (SASL PLAIN over loopback), announces presence, and sends <message type="chat">
// with the same 200-byte body to the same partner at the same rate. Both members of each pair
// live in this process, so latency is on one clock.
import { client, xml, type XmppClient, type Element } from '@xmpp/client';
import { arrived, runStep, type StepArgs, type StepResult } from '../lib/open-loop.ts';
import { serveRpc } from '../lib/rpc.ts';
import type { Peer } from '../lib/seed.ts';
import { pool } from '../lib/util.ts';

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

function onStanza(stanza: Element): void {
  if (!stanza.is('message')) return;
  const body = stanza.getChildText('body');
  if (!body) return;
  if (body.startsWith(`${init.tag} `)) receivedTotal++;
  arrived(body);
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

function step(args: StepArgs): Promise<StepResult> {
  return runStep(init.tag, init.pairs, clients, args, ({ from, to, id, body }, outcome) => {
    from.xmpp
      .send(xml('message', { to: `${to.username}@${init.domain}`, type: 'chat', id }, xml('body', {}, body)))
      .catch(() => outcome.failed());
    sentTotal++;
  });
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
