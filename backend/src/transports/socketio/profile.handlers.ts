import type { Logger } from '../../logger.js';
import type { Accounts } from '../../services/accounts.js';
import { toSettings, toSummary } from '../../store/wire.js';
import type { EmailConfirmation } from '../../services/email-confirmation.js';
import type { Notifier } from '../../services/notifier.js';
import type { PresenceService } from '../../services/presence.js';
import type { Limiter } from '../../services/rate-limiter.js';
import type { RosterService } from '../../services/roster.js';
import { handle } from './handler.js';
import type { ParleySocket } from './types.js';

/** presence:set, presence:idle, profile:update and profile:confirm-email. */
export function registerProfileHandlers(
  socket: ParleySocket,
  deps: {
    accounts: Accounts;
    confirmations: EmailConfirmation;
    presence: PresenceService;
    roster: RosterService;
    notify: Notifier;
    limits: { actions: Limiter };
    logger: Logger;
  },
): void {
  const { accounts, confirmations, presence, roster, notify, logger } = deps;
  const limit = deps.limits.actions;

  handle(
    socket,
    logger,
    'presence:set',
    async (p) => ({ presence: await presence.choose(socket.data.user, p.state, p.status ?? '') }),
    limit,
  );
  handle(
    socket,
    logger,
    'presence:idle',
    async (p) => ({ presence: await presence.setIdle(socket.data.user, p.idle) }),
    limit,
  );
  handle(
    socket,
    logger,
    'profile:update',
    async (p) => {
      const updated = await accounts.updateProfile(socket.data.user, p, confirmations);
      socket.data.user = updated;
      const user = toSummary(updated);
      if (p.displayName !== undefined || p.avatarUrl !== undefined) {
        // Everyone who has this user on their list sees the new name, and so do the user's tabs.
        const listed = (await roster.view(updated)).filter((e) => e.state !== 'blocked').map((e) => e.user.id);
        notify.toUsers([updated.id, ...listed], 'user:updated', { user });
      }
      return { user, settings: toSettings(updated) };
    },
    limit,
  );
  handle(
    socket,
    logger,
    'profile:confirm-email',
    async () => {
      const current = await accounts.resendConfirmation(socket.data.user, confirmations);
      socket.data.user = current;
      return { settings: toSettings(current) };
    },
    limit,
  );
}
