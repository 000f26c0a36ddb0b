// The report's part for scenario 9 (the three-node cluster): its rows of the targets table and
// its own section. report.ts includes both.
import type { ClusterResult } from '../scenarios/cluster.ts';
import { fmtBytes, fmtInt, fmtMs } from './util.ts';

export const CLUSTER_TARGET = 50_000;

const pct = (x: number | null | undefined) =>
  x === null || x === undefined || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(0)}%`;

function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n') + '\n';
}

/** Below zero (memory the idle node gave back outweighs a few connections) says nothing. */
const perConnection = (bytes: number) => (Number.isFinite(bytes) && bytes >= 0 ? fmtBytes(bytes) : '–');

const at = (c: ClusterResult, rate: number) => c.messaging?.steps.find((s) => s.offered === rate);

/** Rows of the targets table: [#, measure, target, result, met]. */
export function clusterTargetRows(c: ClusterResult): (string | number)[][] {
  if (c.error && !c.connects) return [['9', 'three-node cluster', `≥ ${fmtInt(CLUSTER_TARGET)} held`, c.error, '–']];
  const rows: (string | number)[][] = [];
  rows.push([
    '9',
    `three-node cluster (PostgreSQL + Redis): connections held`,
    `≥ ${fmtInt(CLUSTER_TARGET)}`,
    `${fmtInt(c.held)} (${c.heldPerNode.map(fmtInt).join(' / ')} per node)${c.notes.length ? ' — see the notes of scenario 9' : ''}`,
    c.held >= CLUSTER_TARGET ? 'met' : '**missed**',
  ]);
  const s = at(c, 1000);
  rows.push([
    '9',
    `cross-node p99 at 1,000 messages/s, ${fmtInt(s?.heldAfter ?? c.held)} connections held`,
    'reported',
    s
      ? `p50 ${fmtMs(s.latency.p50)}, p99 ${fmtMs(s.latency.p99)}, p99.9 ${fmtMs(s.latency.p999)}` +
        (s.lost ? ` (${fmtInt(s.lost)} not delivered in time)` : '')
      : 'not measured',
    '–',
  ]);
  return rows;
}

export function renderCluster(c: ClusterResult): string {
  const out: string[] = [];
  const p = c.plan;
  out.push('\n## 9. Three-node cluster\n');
  out.push(
    `${p.nodes} Parley nodes (\`backend/src/main.ts\` with \`DATABASE_URL\`, \`REDIS_URL\`, \`REDIS_PREFIX\`, \`PORT\`, as ` +
      '`npm run cluster` starts them) on a fresh PostgreSQL database and a Redis key prefix of their own, all on this ' +
      'machine; each process, nodes and generators alike, is capped at the open-files limit. ' +
      `First ${p.pairs} pairs of users connect from one generator process, the two members of each pair to different ` +
      `nodes; then users with ${c.buddiesPerUser} mutual buddies each (a ring) connect with a stored session from ` +
      `${c.generators} more generator processes over 16 loopback source addresses, user i to node i mod ${p.nodes}, so ` +
      'most buddies sit on other nodes. While all are held, the pairs exchange 200-byte messages open loop (both ' +
      'members of a pair in one process, so latency is on one clock, from the moment each message was due to its ' +
      'arrival at the recipient). Every message is written to PostgreSQL by the sender’s node and reaches the ' +
      "recipient's node through the Redis streams adapter.\n",
  );
  if (c.error) out.push(`\nError: ${c.error}\n`);
  if (c.connects) {
    const k = c.connects;
    const errors = Object.entries(k.errors)
      .map(([e, v]) => `${e} ×${fmtInt(v)}`)
      .join(', ');
    out.push('\n');
    out.push(
      table(
        [
          'ready',
          'offered (cap)',
          'achieved',
          'latency p50 / p99 / max',
          'presence events',
          'node CPU per connection',
          'generator CPU',
          'errors',
        ],
        [
          [
            `${fmtInt(k.ready)} of ${fmtInt(k.users)}${k.skipped ? ` (${fmtInt(k.skipped)} not tried: time budget)` : ''}`,
            `${fmtInt(p.connectRate)}/s, ≤ ${fmtInt(p.connectInFlight)} at once`,
            `${k.achievedRate.toFixed(0)}/s over ${(k.spanMs / 1000).toFixed(0)} s`,
            `${fmtMs(k.latency.p50)} / ${fmtMs(k.latency.p99)} / ${fmtMs(k.latency.max)}`,
            fmtInt(k.presenceEvents),
            `${fmtMs(k.nodeCpuMsPerConnection)} (3 nodes together)`,
            pct(k.generatorCpu),
            errors || 'none',
          ],
        ],
      ),
    );
  }
  if (c.nodes.length) {
    out.push('\n');
    out.push(
      table(
        [
          'node',
          'held',
          'node gauge',
          'open files',
          'RSS',
          'heap used',
          'RSS / connection',
          'heap / connection',
          'event-loop delay p99 / max (holding)',
          'CPU ramp / messaging',
        ],
        [
          ...c.nodes.map((n) => [
            n.node,
            fmtInt(n.held),
            fmtInt(n.gauge),
            fmtInt(n.openFiles),
            `${fmtBytes(n.baseline.rss)} → ${fmtBytes(n.loaded.rss)}`,
            `${fmtBytes(n.baseline.heapUsed)} → ${fmtBytes(n.loaded.heapUsed)}`,
            perConnection(n.rssPerConnection),
            perConnection(n.heapPerConnection),
            `${fmtMs(n.eldHoldP99)} / ${fmtMs(n.eldHoldMax)}`,
            `${pct(n.cpuRamp)} / ${pct(n.cpuMessaging)}`,
          ]),
          [
            'all',
            fmtInt(c.held),
            fmtInt(c.nodes.reduce((a, n) => a + n.gauge, 0)),
            '–',
            fmtBytes(c.nodes.reduce((a, n) => a + n.loaded.rss, 0)),
            fmtBytes(c.nodes.reduce((a, n) => a + n.loaded.heapUsed, 0)),
            '–',
            '–',
            '–',
            '–',
          ],
        ],
      ),
    );
    out.push(
      `\n"held" counts the ready connections on each node after the hold, as the clients see them, the ${fmtInt(c.messagingHeld)} ` +
        'of the messaging pairs (connected first) included; "node gauge" is the node\'s own `parley_connections` from ' +
        '`/metrics` at the same moment. Memory after a full GC, against the node idle before any connection; ' +
        'CPU: 100% = one core. ' +
        `The ${c.generators} connection generators held ${fmtBytes(c.generatorRss)} RSS together ` +
        `(${perConnection((c.generatorRss - c.generatorRssIdle) / Math.max(1, c.held - c.messagingHeld))} per connection, client side).\n`,
    );
    const dropped = Object.entries(c.dropped);
    if (dropped.length) {
      out.push(`\nConnections dropped while held: ${dropped.map(([k, v]) => `${k} ×${fmtInt(v)}`).join(', ')}.\n`);
    }
  }
  if (c.messaging) {
    out.push('\n');
    out.push(
      table(
        [
          'offered/s',
          'delivered/s',
          'p50',
          'p99',
          'p99.9',
          'max',
          'ack p99',
          'lost',
          'generator lag p99',
          'held meanwhile',
          'machine busy',
        ],
        c.messaging.steps.map((s) => [
          fmtInt(s.offered),
          fmtInt(s.deliveredRate),
          fmtMs(s.latency.p50),
          fmtMs(s.latency.p99),
          fmtMs(s.latency.p999),
          fmtMs(s.latency.max),
          s.ack ? fmtMs(s.ack.p99) : '–',
          fmtInt(s.lost),
          fmtMs(s.generatorLagP99),
          fmtInt(s.heldAfter),
          Number.isFinite(s.machineBusy) ? `${s.machineBusy.toFixed(2)} cores` : '–',
        ]),
      ),
    );
  }
  for (const note of c.notes) out.push(`\nNote: ${note}\n`);
  const seed = c.seed;
  out.push(
    `\n${seed ? `Seeding PostgreSQL: ${fmtInt(seed.rows.users ?? 0)} users, ${fmtInt(seed.rows.buddies ?? 0)} buddy rows in ${(seed.ms / 1000).toFixed(1)} s. ` : ''}` +
      `The scenario took ${(c.durationS / 60).toFixed(1)} min; load average ${c.load.start.toFixed(2)} at its start, ` +
      `${Number.isFinite(c.load.end) ? c.load.end.toFixed(2) : '–'} at its end. Clean-up: ${c.cleanup.join('; ') || '–'}.\n`,
  );
  return out.join('');
}
