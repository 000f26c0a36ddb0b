import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Addresses a webhook must not reach unless WEBHOOK_ALLOW_PRIVATE=1: loopback, private networks,
 * link-local (cloud metadata services live at 169.254.169.254), carrier-grade NAT, multicast and
 * reserved ranges. IPv4-mapped IPv6 addresses are checked as the IPv4 address they carry.
 */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv6');
}

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return PRIVATE.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** Host names that are private whatever DNS says. */
const PRIVATE_NAMES = /(^|\.)(localhost|local|internal)$/i;

/**
 * Whether a URL's host is plainly private (an address in a private range, or localhost): refused
 * when an endpoint is registered. Names that resolve to private addresses are refused when the
 * delivery connects (see `guardedLookup`), which also stops DNS rebinding.
 */
export function isPrivateHost(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return isPrivateAddress(host) || PRIVATE_NAMES.test(host);
}

/** dns.lookup that fails for private addresses: the check happens on the address actually connected to. */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    if (err) return callback(err, '', 0);
    const blocked = addresses.find((a) => isPrivateAddress(a.address));
    if (blocked) {
      return callback(
        Object.assign(new Error(`${hostname} resolves to a private address (${blocked.address})`), {
          code: 'EPRIVATE',
        }),
        '',
        0,
      );
    }
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    const first = addresses[0]!;
    callback(null, first.address, first.family);
  });
};

/** How one POST ended: the status when an answer came, else why not. */
export interface PostOutcome {
  status: number | null;
  /** Null on a 2xx answer. */
  error: string | null;
}

/** Characters of the receiver's answer kept in `lastError`, to help its owner see what went wrong. */
const ANSWER_KEPT = 200;

/**
 * POSTs `body` to `url` once. No redirects are followed (a 3xx is a failure), the whole attempt
 * is cut after `timeoutMs`, and unless `allowPrivate` no private address is connected to.
 */
export function postWebhook(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; allowPrivate: boolean },
): Promise<PostOutcome> {
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return resolve({ status: null, error: 'the endpoint URL is not valid' });
    }
    const literal = target.hostname.replace(/^\[|\]$/g, '');
    if (!options.allowPrivate && (isPrivateAddress(literal) || PRIVATE_NAMES.test(literal))) {
      return resolve({ status: null, error: `${literal} is a private address (WEBHOOK_ALLOW_PRIVATE is off)` });
    }
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const requestOptions: RequestOptions = {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      ...(options.allowPrivate ? {} : { lookup: guardedLookup }),
    };
    let settled = false;
    const finish = (outcome: PostOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const req = send(target, requestOptions, (res) => {
      const status = res.statusCode ?? 0;
      let answer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (answer.length < ANSWER_KEPT) answer += chunk;
      });
      res.on('end', () =>
        finish(
          status >= 200 && status < 300
            ? { status, error: null }
            : { status, error: `HTTP ${status}${answer ? `: ${answer.slice(0, ANSWER_KEPT)}` : ''}` },
        ),
      );
      res.on('error', (err) => finish({ status, error: err.message }));
    });
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    req.on('error', (err) => finish({ status: null, error: err.message.slice(0, 500) }));
    req.end(body);
  });
}
