import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../src/protocol/index.js';
import { useServer, waitFor } from './support.js';

/** Typing notifications between buddies. */
const server = useServer();

describe('typing notifications: live to the peer, throttled', () => {
  it('reaches the peer live and is throttled', async () => {
    const [ivy, jon, ivyTab, jonTab] = await server.buddies('ivy', 'jon');
    await ivyTab.ok('typing:set', { in: { kind: 'direct', id: jon.id }, typing: true });
    await waitFor(() => jonTab.typing.some((t) => t.userId === ivy.id && t.typing));
    // Named as Jon sees it: the direct chat with Ivy.
    expect(jonTab.typing[0]!.in).toEqual({ kind: 'direct', id: ivy.id });
    const burst = await Promise.all(
      Array.from({ length: 30 }, () =>
        ivyTab.request('typing:set', { in: { kind: 'direct', id: jon.id }, typing: true }),
      ),
    );
    expect(burst.some((r) => !r.ok && r.error.code === ErrorCode.RateLimited)).toBe(true);
  });
});
