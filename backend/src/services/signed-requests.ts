import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How Parley signs the requests it makes to a host's server, webhook deliveries and profile
 * provider requests alike (Stripe's scheme: the time is signed with the body), so a host verifies
 * both with one function: `Parley-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 */
export const SIGNATURE_HEADER = 'parley-signature';

/** The signature header's value for `body` sent at `at`. */
export function signRequest(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

/**
 * What a host's server does (docs/webhooks.md and docs/api.md show the same in Node): true when
 * `header` signs exactly `body` with `secret`, and its time is within `toleranceSeconds` of `now`
 * (an old delivery replayed by someone who recorded it is refused).
 */
export function verifySignature(
  secret: string,
  body: string,
  header: string | undefined,
  now = new Date(),
  toleranceSeconds = 300,
): boolean {
  if (!header) return false;
  const parts = new Map(
    header.split(',').map((part) => {
      const at = part.indexOf('=');
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
    }),
  );
  const t = Number(parts.get('t'));
  const given = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(now.getTime() / 1000 - t) > toleranceSeconds) return false;
  if (!/^[0-9a-f]{64}$/.test(given)) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(given, 'hex'));
}
