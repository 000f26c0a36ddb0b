/**
 * A host's webhook receiver for tests: a real HTTP server on a random port that records every
 * delivery (headers and raw body) and answers with whatever status the test chooses.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import type { WebhookBody } from '../src/protocol/webhooks.js';

export interface ReceivedDelivery {
  headers: IncomingHttpHeaders;
  raw: string;
  body: WebhookBody<any>;
  at: number;
}

export interface Receiver {
  url: string;
  port: number;
  received: ReceivedDelivery[];
  /**
   * The status of the next answer, given the deliveries so far (this one included); may wait (the
   * attempt stays in flight meanwhile). Default 200.
   */
  answer: (delivery: ReceivedDelivery, count: number) => number | Promise<number>;
  /** Deliveries of one type. */
  of(type: string): ReceivedDelivery[];
  close(): Promise<void>;
}

export async function startReceiver(port = 0): Promise<Receiver> {
  const received: ReceivedDelivery[] = [];
  const receiver: Receiver = {
    url: '',
    port: 0,
    received,
    answer: () => 200,
    of: (type) => received.filter((d) => d.body.type === type),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => {
      const delivery: ReceivedDelivery = { headers: req.headers, raw, body: JSON.parse(raw), at: Date.now() };
      received.push(delivery);
      void Promise.resolve(receiver.answer(delivery, received.length)).then((status) => {
        res.statusCode = status;
        res.end(status < 300 ? 'ok' : 'not now');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  receiver.port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${receiver.port}/hooks`;
  return receiver;
}

/** A port nothing listens on yet (a receiver takes it later: until then deliveries are refused). */
export async function freePort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
