import { describe, expect, it } from 'vitest';
import { IceService, turnCredential } from './ice.js';

describe('TURN credentials (coturn use-auth-secret)', () => {
  it('match the formula coturn checks: base64(HMAC-SHA1(secret, "<expiry>:<user>"))', () => {
    // Computed independently: echo -n "1700000000:user-1" | openssl dgst -binary -sha1 -hmac north | base64
    expect(turnCredential('north', 'user-1', 1_700_000_000)).toEqual({
      username: '1700000000:user-1',
      credential: 'G86sOlIp58mcfrsDqnp1wtU2rII=',
    });
  });

  it('are not handed out without TURN servers: no ICE servers at all by default (host candidates on a LAN)', () => {
    const ice = new IceService({ stunUrls: [], turnUrls: [], turnSecret: null, turnTtlSeconds: 3600 });
    expect(ice.configFor('u')).toEqual({ iceServers: [], expiresAt: null });
  });

  it('expire TURN_TTL_SECONDS after they are handed out, and the client is told when', () => {
    const now = Date.UTC(2026, 11, 1, 12, 0, 0);
    const ice = new IceService(
      { stunUrls: ['stun:a.example'], turnUrls: ['turn:t.example:3478'], turnSecret: 's', turnTtlSeconds: 3600 },
      () => now,
    );
    const config = ice.configFor('u');
    expect(config.iceServers[0]).toEqual({ urls: ['stun:a.example'] });
    expect(config.iceServers[1]!.username).toBe(`${now / 1000 + 3600}:u`);
    expect(config.expiresAt).toBe('2026-12-01T13:00:00.000Z');
  });
});
