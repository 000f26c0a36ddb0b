import type { XmppConfig } from './xmpp-config.js';
import type { Logger } from '../../logger.js';
import type { Conversations } from '../../services/conversations.js';
import type { MessageChanges } from '../../services/message-changes.js';
import type { PresenceService } from '../../services/presence.js';
import type { Limiter } from '../../services/rate-limiter.js';
import type { Relations } from '../../services/relations.js';
import type { RosterService } from '../../services/roster.js';
import type { Store } from '../../store/store.js';

/** What the XMPP gateway works with: the same services the Socket.IO transport calls. */
export interface XmppGatewayDeps {
  config: XmppConfig;
  store: Store;
  conversations: Conversations;
  messageChanges: MessageChanges;
  roster: RosterService;
  presence: PresenceService;
  relations: Relations;
  limits: { message: Limiter; typing: Limiter; actions: Limiter; buddyRequests: Limiter };
  logger: Logger;
}
