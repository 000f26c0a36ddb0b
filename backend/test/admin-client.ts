import type { ErrorBody } from '../src/protocol/index.js';
import { ApiKeys } from '../src/services/host-api/api-keys.js';
import type { TestServer } from './support.js';

export type AdminAnswer = { status: number; body: { ok: boolean; data?: any; error?: ErrorBody }; replayed: boolean };
export type AdminCallOptions = { key?: string; body?: unknown; idempotencyKey?: string; raw?: string };

/**
 * A server API client as a host's server uses it (docs/api.md): `call(method, 'site/path', …)`
 * against the server `server()` returns (a getter, so it works with a file's `useServer`).
 */
export function adminClient(server: () => Pick<TestServer, 'url' | 'app'>) {
  async function call(method: string, path: string, options: AdminCallOptions = {}): Promise<AdminAnswer> {
    const response = await fetch(`${server().url}/api/v1/admin/sites/${path}`, {
      method,
      headers: {
        ...(options.body !== undefined || options.raw !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
        ...(options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}),
      },
      body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    });
    return {
      status: response.status,
      body: (await response.json()) as AdminAnswer['body'],
      replayed: response.headers.get('idempotent-replayed') === 'true',
    };
  }
  const newKey = async (site = 'shop', name = 'test') => (await new ApiKeys(server().app.store).create(site, name)).key;
  return { call, newKey };
}
