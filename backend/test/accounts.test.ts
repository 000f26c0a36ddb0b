import { describe, expect, it } from 'vitest';
import { ErrorCode, type ErrorBody } from '../src/protocol/index.js';
import { api, login, sleep, TestClient, useServer, waitFor } from './support.js';

/** Accounts: profile, registration, password change and logout, and what each does to sessions. */
const server = useServer({
  config: { presenceGraceMs: 200 },
  sites: [
    { id: 'signup', name: 'Sign-up site', secret: 'x'.repeat(32), origins: [], settings: { registrationOpen: true } },
  ],
});
const connect = (name: string, password?: string) => server.connect(name, { password });
const http = (method: string, path: string, body?: unknown, token?: string) => api(server, method, path, body, token);

describe('accounts: profile, registration, password, logout', () => {
  it('updates the profile and tells buddies; refuses unsafe avatars', async () => {
    const [, , kimTab, leaTab] = await server.buddies('kim', 'lea');
    const updates: string[] = [];
    leaTab.socket.on('user:updated', ({ user: u }) => updates.push(u.displayName));
    const done = await kimTab.ok('profile:update', { displayName: 'Kim K.', avatarUrl: 'https://img.example/k.png' });
    expect(done.user).toMatchObject({ displayName: 'Kim K.', avatarUrl: 'https://img.example/k.png' });
    await waitFor(() => updates.includes('Kim K.'));
    for (const avatarUrl of ['javascript:alert(1)', 'http://plain.example/a.png', 'data:image/png;base64,AAAA']) {
      expect(await kimTab.request('profile:update', { avatarUrl })).toMatchObject({
        ok: false,
        error: { code: ErrorCode.BadRequest },
      });
    }
  });

  it('registers where the site allows it, with a clear code otherwise', async () => {
    const closed = await http('POST', '/api/v1/sites/demo/users', { username: 'newbie', password: 'long enough' });
    expect(closed).toMatchObject({ status: 403, body: { error: { code: ErrorCode.RegistrationClosed } } });

    const made = await http('POST', '/api/v1/sites/signup/users', {
      username: 'newbie',
      password: 'long enough',
      displayName: 'New Bie',
    });
    expect(made.status).toBe(201);
    const socket = await TestClient.connect(server.url, made.body.data.token, { site: 'signup' });
    expect(socket.ready.user).toMatchObject({ username: 'newbie', displayName: 'New Bie' });
    socket.close();

    const again = await http('POST', '/api/v1/sites/signup/users', { username: 'newbie', password: 'long enough' });
    expect(again).toMatchObject({ status: 409, body: { error: { code: ErrorCode.UsernameTaken } } });
    for (const body of [
      { username: 'ab', password: 'long enough' },
      { username: 'Has Spaces', password: 'long enough' },
      { username: 'shortpw', password: 'short' },
    ]) {
      expect((await http('POST', '/api/v1/sites/signup/users', body)).body.error?.code).toBe(ErrorCode.BadRequest);
    }
  });

  it('changing the password ends every session and closes their connections', async () => {
    await server.user('max');
    const phone = await connect('max');
    const laptop = await connect('max');
    const wrong = await http(
      'POST',
      '/api/v1/sites/demo/password',
      { currentPassword: 'nope', newPassword: 'brand new pw' },
      phone.token,
    );
    expect(wrong.body.error?.code).toBe(ErrorCode.InvalidCredentials);

    const changed = await http(
      'POST',
      '/api/v1/sites/demo/password',
      { currentPassword: 'max-pass', newPassword: 'brand new pw' },
      phone.token,
    );
    expect(changed.status).toBe(200);
    for (const c of [phone, laptop]) {
      await waitFor(() => !c.socket.connected);
      expect(c.ended).toEqual([{ reason: 'password_changed' }]);
    }
    const refused = await TestClient.connect(server.url, laptop.token).catch(
      (err: { data?: ErrorBody }) => err.data?.code,
    );
    expect(refused).toBe(ErrorCode.Unauthorized);
    await expect(login(server.url, 'max', 'max-pass')).rejects.toThrow(/invalid_credentials/);
    const fresh = await TestClient.connect(server.url, changed.body.data.token);
    expect(fresh.ready.user.username).toBe('max');
    fresh.close();
    expect((await login(server.url, 'max', 'brand new pw')).token).toBeTruthy();
  });

  it('logging out closes that session’s connections only', async () => {
    await server.user('ned');
    const one = await connect('ned');
    const two = await connect('ned');
    const out = await http('DELETE', '/api/v1/sites/demo/sessions/current', undefined, one.token);
    expect(out.status).toBe(200);
    await waitFor(() => !one.socket.connected);
    expect(one.ended).toEqual([{ reason: 'logout' }]);
    await sleep(100);
    expect(two.socket.connected).toBe(true);
  });
});
