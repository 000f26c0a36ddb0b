import type { ActionTokensRepository } from './repositories/action-tokens.js';
import type { ApiKeysRepository } from './repositories/api-keys.js';
import type { DigestsRepository } from './repositories/digests.js';
import type { FilesRepository } from './repositories/files.js';
import type { HostUsersRepository } from './repositories/host-users.js';
import type { InboxRepository } from './repositories/inbox.js';
import type { MessageChangesRepository } from './repositories/message-changes.js';
import type { MessagesRepository } from './repositories/messages.js';
import type { ReadMarkersRepository } from './repositories/read-markers.js';
import type { RemoteContactsRepository } from './repositories/remote-contacts.js';
import type { RoomsRepository } from './repositories/rooms.js';
import type { RosterRepository } from './repositories/roster.js';
import type { SessionsRepository } from './repositories/sessions.js';
import type { SitesRepository } from './repositories/sites.js';
import type { UsersRepository } from './repositories/users.js';
import type { ProfilesRepository } from './repositories/profiles.js';
import type { WebhooksRepository } from './repositories/webhooks.js';

export * from './records.js';
export type { ChangeOutcome, MessageChangeInput, MessageEditRecord } from './repositories/message-changes.js';
export type { ApiKeyRecord, IdempotencyRecord } from './repositories/api-keys.js';
export type { HistoryPage } from './repositories/messages.js';
export type { FetchedProfile } from './repositories/profiles.js';
export type * from './repositories/webhooks.js';
export type {
  ActionTokensRepository,
  ApiKeysRepository,
  DigestsRepository,
  FilesRepository,
  HostUsersRepository,
  InboxRepository,
  MessageChangesRepository,
  MessagesRepository,
  ReadMarkersRepository,
  RemoteContactsRepository,
  RoomsRepository,
  RosterRepository,
  SessionsRepository,
  SitesRepository,
  UsersRepository,
  ProfilesRepository,
  WebhooksRepository,
};

/**
 * The narrow interface the IM services speak to: one repository per aggregate, each in its own
 * file under repositories/. Prisma on SQLite or PostgreSQL implements it (prisma-store.ts); the
 * services never import Prisma.
 */
export interface Store
  extends
    SitesRepository,
    UsersRepository,
    SessionsRepository,
    RosterRepository,
    InboxRepository,
    MessagesRepository,
    MessageChangesRepository,
    RoomsRepository,
    ReadMarkersRepository,
    DigestsRepository,
    FilesRepository,
    RemoteContactsRepository,
    ApiKeysRepository,
    ProfilesRepository,
    ActionTokensRepository,
    HostUsersRepository,
    WebhooksRepository {
  readonly kind: 'sqlite' | 'postgres';
  /** A cheap round trip, for /healthz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
