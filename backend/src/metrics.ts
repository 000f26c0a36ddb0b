import { timingSafeEqual } from 'node:crypto';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { schemas } from './protocol/schemas.js';

const knownEvents = new Set(Object.keys(schemas));

/**
 * What an operator scrapes from `/metrics` (Prometheus text format), one registry per app. Labels
 * take only values from fixed lists (event names of the protocol, error codes), never anything a
 * client chose, so a hostile client cannot grow the series without bound.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly connections = new Gauge({
    name: 'parley_connections',
    help: 'Open Socket.IO connections on this node.',
    registers: [this.registry],
  });

  readonly handshakeRefusals = new Counter({
    name: 'parley_handshake_refusals_total',
    help: 'Socket handshakes refused, by error code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly events = new Histogram({
    name: 'parley_event_duration_seconds',
    help: 'Time from receiving a client event to answering it, by event and outcome (ok or an error code).',
    labelNames: ['event', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly stored = new Counter({
    name: 'parley_stored_total',
    help: 'Messages and receipts written by the batched inbox writer (resends and receipts that moved nothing not counted).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly batchSize = new Histogram({
    name: 'parley_write_batch_size',
    help: 'Items per transaction of the batched inbox writer.',
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500],
    registers: [this.registry],
  });

  readonly batchSeconds = new Histogram({
    name: 'parley_write_batch_duration_seconds',
    help: 'Time to write one batch durably (transaction and commit).',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });

  readonly checkpoints = new Counter({
    name: 'parley_sqlite_checkpoints_total',
    help: 'SQLite only: WAL checkpoints run by the checkpoint worker, off the event loop.',
    registers: [this.registry],
  });

  readonly walPages = new Gauge({
    name: 'parley_sqlite_wal_checkpointed_pages',
    help: 'SQLite only: WAL pages in the database after the last checkpoint (the WAL restarts once all are).',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'parley_' });
  }

  /** The event's name as a label: a protocol event, or "unknown" for anything else a client sent. */
  static eventLabel(event: unknown): string {
    return typeof event === 'string' && knownEvents.has(event) ? event : 'unknown';
  }
}

/** Whether an `Authorization` header carries the metrics token (compared in constant time). */
export function metricsAuthorized(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
