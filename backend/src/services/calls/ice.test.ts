import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { IceService, turnCredential } from './ice.js';

describe('TURN credentials (coturn use-auth-secret)', () => {
  it('match the formula coturn checks: base64(HMAC-SHA1(secret, "<expiry>:<user>"))', () => {
    // Computed independently: echo -n "1700000000:user-1" | openssl dgst -binary -sha1 -hmac north | base64
    expect(turnCredential('north', 'user-1', 1_700_000_000)).toEqual({
      username: '1700000000:user-1',
      credential: 'G86sOlIp58mcfrsDqnp1wtU2rII=',
    });
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

  it('needs no configuration: no ICE servers at all (host candidates on a LAN)', () => {
    const config = loadConfig({});
    expect(config.ice).toEqual({ stunUrls: [], turnUrls: [], turnSecret: null, turnTtlSeconds: 3600 });
    expect(new IceService(config.ice).configFor('u')).toEqual({ iceServers: [], expiresAt: null });
  });

  it('reads STUN and TURN from the environment and refuses TURN without its secret', () => {
    const config = loadConfig({
      STUN_URLS: 'stun:a.example:3478, stun:b.example',
      TURN_URLS: 'turn:t.example:3478?transport=udp,turns:t.example:5349',
      TURN_SECRET: 'x',
      TURN_TTL_SECONDS: '600',
    });
    expect(config.ice).toEqual({
      stunUrls: ['stun:a.example:3478', 'stun:b.example'],
      turnUrls: ['turn:t.example:3478?transport=udp', 'turns:t.example:5349'],
      turnSecret: 'x',
      turnTtlSeconds: 600,
    });
    expect(() => loadConfig({ TURN_URLS: 'turn:t.example' })).toThrow(/TURN_SECRET/);
    expect(() => loadConfig({ STUN_URLS: 'http://a.example' })).toThrow(/STUN_URLS/);
    expect(() => loadConfig({ TURN_URLS: 'stun:a.example', TURN_SECRET: 'x' })).toThrow(/TURN_URLS/);
  });
});
