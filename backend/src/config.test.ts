import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { repoRoot } from './paths.js';

describe('loadConfig', () => {
  it('has no XMPP gateway unless XMPP_COMPONENT_DOMAIN is set, and then needs its secret', () => {
    expect(loadConfig({}).xmpp).toBeNull();
    expect(() => loadConfig({ XMPP_COMPONENT_DOMAIN: 'parley.example' })).toThrow(/XMPP_COMPONENT_SECRET/);
    expect(() => loadConfig({ XMPP_COMPONENT_DOMAIN: 'not a domain', XMPP_COMPONENT_SECRET: 's' })).toThrow(
      /XMPP_COMPONENT_DOMAIN/,
    );
    expect(loadConfig({ XMPP_COMPONENT_DOMAIN: 'Parley.Example', XMPP_COMPONENT_SECRET: 's' }).xmpp).toEqual({
      host: '127.0.0.1',
      port: 5347,
      domain: 'parley.example',
      secret: 's',
    });
    expect(
      loadConfig({
        XMPP_COMPONENT_DOMAIN: 'parley.example',
        XMPP_COMPONENT_SECRET: 's',
        XMPP_COMPONENT_HOST: 'xmpp.internal',
        XMPP_COMPONENT_PORT: '15347',
        XMPP_SERVER_DOMAIN: 'example.org',
      }).xmpp,
    ).toEqual({
      host: 'xmpp.internal',
      port: 15347,
      domain: 'parley.example',
      secret: 's',
      serverDomain: 'example.org',
    });
  });

  it('runs one node on SQLite with every transport by default', () => {
    const config = loadConfig({});
    expect(config.database.kind).toBe('sqlite');
    expect(config.redis).toBeNull();
    expect(config.transports).toEqual(['websocket', 'polling']);
  });

  it('turns on cluster mode with REDIS_URL, WebSocket only unless told otherwise', () => {
    const env = {
      REDIS_URL: 'redis://127.0.0.1:6379',
      DATABASE_URL: 'postgresql://p@h/db',
      FILE_STORAGE: 's3',
      S3_BUCKET: 'parley',
    };
    const config = loadConfig(env);
    expect(config.files.storage).toBe('s3');
    // Local disk is one node's only: a cluster without shared file storage does not start.
    expect(() => loadConfig({ ...env, FILE_STORAGE: 'local' })).toThrow(/FILE_STORAGE=s3/);
    expect(() => loadConfig({ ...env, S3_BUCKET: '' })).toThrow(/S3_BUCKET/);
    expect(config.database.kind).toBe('postgres');
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379', prefix: 'parley:' });
    expect(config.transports).toEqual(['websocket']);
    expect(config.presenceExpiryMs).toBe(15_000);
    expect(loadConfig({ ...env, TRANSPORTS: 'websocket, polling' }).transports).toEqual(['websocket', 'polling']);
  });

  it('refuses bad values with the variable named', () => {
    expect(() => loadConfig({ REDIS_URL: 'http://x' })).toThrow(/REDIS_URL/);
    expect(() =>
      loadConfig({ REDIS_URL: 'redis://x', REDIS_PREFIX: 'a b', FILE_STORAGE: 's3', S3_BUCKET: 'b' }),
    ).toThrow(/REDIS_PREFIX/);
    expect(() => loadConfig({ TRANSPORTS: 'carrier-pigeon' })).toThrow(/TRANSPORTS/);
    expect(() => loadConfig({ PRESENCE_EXPIRY_MS: '10' })).toThrow(/PRESENCE_EXPIRY_MS/);
  });

  it('calls need no configuration: no STUN, no TURN (host candidates on a LAN)', () => {
    const config = loadConfig({});
    expect(config.ice).toEqual({ stunUrls: [], turnUrls: [], turnSecret: null, turnTtlSeconds: 3600 });
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

  it('has every variable it reads documented in docs/configuration.md', () => {
    const source = readFileSync(join(repoRoot, 'backend', 'src', 'config.ts'), 'utf8');
    const doc = readFileSync(join(repoRoot, 'docs', 'configuration.md'), 'utf8');
    const names = new Set([
      ...[...source.matchAll(/(?:int|positive)\(env, '([A-Z0-9_]+)'/g)].map((m) => m[1]!),
      ...[...source.matchAll(/env\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!),
    ]);
    expect(names.size).toBeGreaterThan(10);
    for (const name of names) expect(doc, name).toContain(`\`${name}\``);
  });
});
