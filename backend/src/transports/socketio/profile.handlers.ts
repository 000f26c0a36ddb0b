import type { Accounts } from '../../services/accounts.js';
import { toSettings, toSummary } from '../../store/wire.js';
import type { EmailConfirmation } from '../../services/email-confirmation.js';
import type { PresenceService } from '../../services/presence.js';
import type { Limiter } from '../../services/rate-limiter.js';
import type { RosterService } from '../../services/roster.js';
import type { Routes } from './handler.js';

type ProfileEvents = 'presence:set' | 'presence:idle' | 'profile:update' | 'profile:confirm-email';

/** presence:set, presence:idle, profile:update and profile:confirm-email. */
export function profileRoutes(deps: {
  accounts: Accounts;
  confirmations: EmailConfirmation;
  presence: PresenceService;
  roster: RosterService;
  limits: { actions: Limiter };
}): Pick<Routes, ProfileEvents> {
  const { accounts, confirmations, presence, roster } = deps;
  const limiter = deps.limits.actions;
  return {
    'presence:set': {
      limiter,
      run: async ({ data }, p) => ({ presence: await presence.choose(data.user, p.state, p.status ?? '') }),
    },
    'presence:idle': {
      limiter,
      run: async ({ data }, p) => ({ presence: await presence.setIdle(data.user, p.idle) }),
    },
    'profile:update': {
      limiter,
      run: async (socket, p) => {
        const updated = await accounts.updateProfile(socket.data.user, p, confirmations);
        socket.data.user = updated;
        if (p.displayName !== undefined || p.avatarUrl !== undefined) {
          // Everyone who has this user on their list sees the new name, and so do the user's tabs.
          await roster.announceProfile(updated);
        }
        return { user: toSummary(updated), settings: toSettings(updated) };
      },
    },
    'profile:confirm-email': {
      limiter,
      run: async (socket) => {
        const current = await accounts.resendConfirmation(socket.data.user, confirmations);
        socket.data.user = current;
        return { settings: toSettings(current) };
      },
    },
  };
}
