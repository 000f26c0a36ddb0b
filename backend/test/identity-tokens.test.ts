import { describe, expect, it } from 'vitest';
import { ErrorCode, type ErrorBody } from '../src/protocol/index.js';
import { api, identityToken, TestClient, useServer } from './support.js';

/** Host identity tokens: a host site signs its users in with a token signed by its secret. */
const server = useServer({ config: { presenceGraceMs: 800 } });
const track = server.track;
const post = (path: string, body: unknown, token?: string) => api(server, 'POST', path, body, token);

describe('host identity tokens: forged, expired, other-site and good tokens', () => {
  const sign = identityToken;
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => 'accepted',
      (err: { data?: ErrorBody }) => err.data?.code,
    );

  it('refuses forged, expired and other-site tokens and signs in a good one, creating the user', async () => {
    const demo = (await server.app.store.getSite('demo'))!;
    await server.app.store.createSite({
      id: 'other',
      name: 'Other',
      secret: 'other-secret-'.repeat(3),
      origins: [],
      settings: {},
    });
    const other = (await server.app.store.getSite('other'))!;
    const now = Math.floor(Date.now() / 1000);
    const connect = (jwt: string) => TestClient.connect(server.url, jwt, { identity: true });

    expect(await refusal(connect(await sign('not-the-secret', { sub: 'h-1' })))).toBe(ErrorCode.IdentityInvalid);
    expect(await refusal(connect(await sign(demo.secret, { sub: 'h-1' }, { iat: now - 600, exp: now - 300 })))).toBe(
      ErrorCode.IdentityExpired,
    );
    expect(await refusal(connect(await sign(other.secret, { sub: 'h-1', aud: 'other' })))).toBe(
      ErrorCode.IdentityWrongSite,
    );
    expect(await refusal(connect(await sign(other.secret, { sub: 'h-1' })))).toBe(ErrorCode.IdentityInvalid);
    expect(await refusal(connect('not.a.jwt'))).toBe(ErrorCode.IdentityInvalid);
    // Too long-lived for a sign-in token.
    expect(await refusal(connect(await sign(demo.secret, { sub: 'h-1' }, { exp: now + 86_400 })))).toBe(
      ErrorCode.IdentityInvalid,
    );
    expect(await server.app.store.findUserByExternalId('demo', 'h-1')).toBeNull();

    const good = track(
      await connect(
        await sign(demo.secret, { sub: 'h-1', name: 'Hilda Host', avatar: 'https://img.example/h.png', aud: 'demo' }),
      ),
    );
    expect(good.ready.user.displayName).toBe('Hilda Host');
    expect(good.ready.user.avatarUrl).toBe('https://img.example/h.png');
    expect(good.ready.session?.token).toBeTruthy();
    const created = await server.app.store.findUserByExternalId('demo', 'h-1');
    expect(created?.id).toBe(good.ready.user.id);
    // The session it opened reconnects without a new token.
    const resumed = track(await TestClient.connect(server.url, good.ready.session!.token));
    expect(resumed.ready.user.id).toBe(created!.id);

    // A second sign-in updates the name; the same user, not a new one.
    const renamed = track(await connect(await sign(demo.secret, { sub: 'h-1', name: 'Hilda H.' })));
    expect(renamed.ready.user.id).toBe(created!.id);
    expect(renamed.ready.user.displayName).toBe('Hilda H.');

    // Over HTTP too.
    const viaHttp = await post('/api/v1/sites/demo/sessions/identity', {
      identity: await sign(demo.secret, { sub: 'h-2' }),
    });
    expect(viaHttp.status).toBe(201);
    const forged = await post('/api/v1/sites/demo/sessions/identity', { identity: await sign('nope', { sub: 'h-2' }) });
    expect(forged.body.error?.code).toBe(ErrorCode.IdentityInvalid);
  });
});
