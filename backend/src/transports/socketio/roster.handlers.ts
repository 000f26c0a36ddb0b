import type { Limiter } from '../../services/rate-limiter.js';
import type { RosterService } from '../../services/roster.js';
import type { ProfileProvider } from '../../services/profiles/profile-provider.js';
import type { Routes } from './handler.js';

type RosterEvents = Extract<keyof Routes, `roster:${string}`> | 'user:search';

/** roster:* and user:search. */
export function rosterRoutes(deps: {
  roster: RosterService;
  profiles: ProfileProvider;
  limits: { actions: Limiter; buddyRequests: Limiter };
}): Pick<Routes, RosterEvents> {
  const { roster, profiles } = deps;
  const limiter = deps.limits.actions;
  // Buddy requests reach another person, so they have a tighter limit of their own (spam).
  const requests: Limiter = {
    take: async (key) => (await limiter.take(key)) && (await deps.limits.buddyRequests.take(key)),
  };
  return {
    'user:search': { limiter, run: async ({ data }, p) => ({ users: await roster.search(data.user, p.query) }) },
    'roster:request': {
      limiter: requests,
      run: async ({ data }, p) => {
        const entry = await roster.request(data.user, p.userId, p.group ?? null);
        // A buddy added by id whose profile the host never gave: its site's provider may know it.
        profiles.meet(data.site, [p.userId]);
        return { entry };
      },
    },
    'roster:accept': {
      limiter,
      run: async ({ data }, p) => ({ entry: await roster.accept(data.user, p.userId, p.group ?? null) }),
    },
    'roster:decline': { limiter, run: async ({ data }, p) => ({ entry: await roster.decline(data.user, p.userId) }) },
    'roster:cancel': { limiter, run: async ({ data }, p) => ({ entry: await roster.cancel(data.user, p.userId) }) },
    'roster:remove': { limiter, run: async ({ data }, p) => ({ entry: await roster.remove(data.user, p.userId) }) },
    'roster:block': { limiter, run: async ({ data }, p) => ({ entry: await roster.block(data.user, p.userId) }) },
    'roster:unblock': { limiter, run: async ({ data }, p) => ({ entry: await roster.unblock(data.user, p.userId) }) },
    'roster:group': {
      limiter,
      run: async ({ data }, p) => ({ entry: await roster.group(data.user, p.userId, p.group) }),
    },
    'roster:rename-group': {
      limiter,
      run: async ({ data }, p) => ({ renamed: await roster.renameGroup(data.user, p.from, p.to) }),
    },
  };
}
