import { isIP } from 'node:net';
import { ErrorCode } from '../protocol/index.js';
import { ParleyError } from '../errors.js';
import { DEMO_SITE } from '../demo-seed.js';

/** Whether an address is this machine's own (127.0.0.0/8, ::1, or IPv4 loopback mapped to IPv6). */
export function isLoopback(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.split('.')[0] === '127';
  return address === '::1';
}

/**
 * The demo site's accounts have published passwords and its origins allow any localhost port, so
 * unless the operator opened it on purpose (PARLEY_DEMO=1) it answers only clients on this machine.
 * Throws `forbidden` for anyone else; other sites pass.
 */
export function assertDemoReachable(siteId: string, clientAddress: string, demoOpen: boolean): void {
  if (siteId !== DEMO_SITE || demoOpen || isLoopback(clientAddress)) return;
  throw new ParleyError(
    ErrorCode.Forbidden,
    'The demo site answers only on the machine it runs on. Its operator can set PARLEY_DEMO=1 to open it.',
  );
}
