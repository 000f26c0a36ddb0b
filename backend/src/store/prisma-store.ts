import type { Store } from './store.js';
import type { DatabaseTarget } from './database-url.js';
import { createPrismaClient } from './prisma-client.js';
import { StoreContext } from './prisma/context.js';
import { PrismaDigests } from './prisma/digests.js';
import { PrismaInbox } from './prisma/inbox.js';
import { PrismaMessages } from './prisma/messages.js';
import { PrismaMessageChanges } from './prisma/message-changes.js';
import { PrismaFiles } from './prisma/files.js';
import { PrismaReadMarkers } from './prisma/read-markers.js';
import { PrismaRooms } from './prisma/rooms.js';
import { PrismaRoster } from './prisma/roster.js';
import { PrismaSessions } from './prisma/sessions.js';
import { PrismaSites } from './prisma/sites.js';
import { PrismaUsers } from './prisma/users.js';
import { PrismaHostUsers } from './prisma/host-users.js';
import { PrismaRemoteContacts } from './prisma/remote-contacts.js';
import { PrismaProfiles } from './prisma/profiles.js';
import { PrismaApiKeys } from './prisma/api-keys.js';
import { PrismaActionTokens } from './prisma/action-tokens.js';
import { DEFAULT_SEARCH_INDEXING, SqliteWriter } from './sqlite-writer/index.js';
import type { SearchIndexing } from './sqlite-writer/messages.js';
import { PrismaWebhooks } from './prisma/webhooks.js';
import { PgWriter } from './pg-writer.js';
import type { Logger } from '../logger.js';
import { SqliteReader } from './prisma/sqlite-reader.js';

/**
 * The Store on Prisma, for SQLite and PostgreSQL alike: one repository per aggregate (prisma/*.ts)
 * over one shared client, composed here. Each method delegates to its repository, so a method
 * missing from a repository fails the `implements Store` check rather than a call at run time.
 */
export class PrismaStore implements Store {
  readonly kind: 'sqlite' | 'postgres';
  private readonly sites: PrismaSites;
  private readonly users: PrismaUsers;
  private readonly sessions: PrismaSessions;
  private readonly buddies: PrismaRoster;
  private readonly inbox: PrismaInbox;
  private readonly messages: PrismaMessages;
  private readonly changes: PrismaMessageChanges;
  private readonly rooms: PrismaRooms;
  private readonly markers: PrismaReadMarkers;
  private readonly digests: PrismaDigests;
  private readonly files: PrismaFiles;
  private readonly remote: PrismaRemoteContacts;
  private readonly profiles: PrismaProfiles;
  private readonly apiKeys: PrismaApiKeys;
  private readonly actionTokens: PrismaActionTokens;
  private readonly hostUsers: PrismaHostUsers;
  private readonly webhooks: PrismaWebhooks;
  /** SQLite servers: the hot path's writer thread (see startSqliteWriter); null means Prisma writes it. */
  private writer: SqliteWriter | null = null;
  /** PostgreSQL servers: the hot path's own `pg` connection (see startHotPath). */
  private pgWriter: PgWriter | null = null;

  private constructor(
    private readonly ctx: StoreContext,
    private readonly reader: SqliteReader | null = null,
  ) {
    this.kind = ctx.kind;
    this.sites = new PrismaSites(ctx);
    this.users = new PrismaUsers(ctx);
    this.sessions = new PrismaSessions(ctx, this.sites.memo, reader);
    this.buddies = new PrismaRoster(ctx);
    this.inbox = new PrismaInbox(ctx, reader);
    this.messages = new PrismaMessages(ctx);
    this.changes = new PrismaMessageChanges(ctx);
    this.rooms = new PrismaRooms(ctx);
    this.markers = new PrismaReadMarkers(ctx);
    this.digests = new PrismaDigests(ctx);
    this.files = new PrismaFiles(ctx);
    this.remote = new PrismaRemoteContacts(ctx);
    this.profiles = new PrismaProfiles(ctx);
    this.apiKeys = new PrismaApiKeys(ctx);
    this.actionTokens = new PrismaActionTokens(ctx);
    this.hostUsers = new PrismaHostUsers(ctx);
    this.webhooks = new PrismaWebhooks(ctx);
  }

  static async open(target: DatabaseTarget): Promise<PrismaStore> {
    const db = createPrismaClient(target);
    if (target.kind === 'sqlite') {
      // WAL lets readers run beside the single writer; synchronous=FULL makes every committed
      // transaction survive a power loss, not only a process crash. The hot path batches many
      // messages per transaction, so the extra fsync is paid once per batch. See docs/architecture.md.
      await db.$queryRawUnsafe('PRAGMA journal_mode = WAL');
      await db.$executeRawUnsafe('PRAGMA synchronous = FULL');
      await db.$executeRawUnsafe('PRAGMA foreign_keys = ON');
      // After Prisma's connection has opened the file (and made it WAL).
      return new PrismaStore(new StoreContext(db, target.kind), SqliteReader.open(target.url));
    }
    return new PrismaStore(new StoreContext(db, target.kind));
  }

  /**
   * Takes the hot path (`append`: messages and receipts) off Prisma: on SQLite a writer thread
   * (startSqliteWriter), on PostgreSQL the same multi-row statements sent straight through a `pg`
   * connection of its own. The server calls it; tools that only read or edit cold data do not.
   */
  async startHotPath(
    target: DatabaseTarget,
    logger: Logger,
    searchIndexing: SearchIndexing = DEFAULT_SEARCH_INDEXING,
  ): Promise<void> {
    if (target.kind === 'sqlite') {
      if (target.url !== ':memory:') await this.startSqliteWriter(target.url, logger, searchIndexing);
      return;
    }
    if (this.pgWriter) return;
    this.pgWriter = new PgWriter(target.url, logger);
    const writer = this.pgWriter;
    this.inbox.useTransactions((fn) => writer.transaction(fn));
  }

  /**
   * SQLite only: from now on `append` (messages and receipts) is written by a worker thread with
   * its own better-sqlite3 connection and prepared statements (sqlite-writer/), off Prisma and off
   * the event loop. The server starts it; tools that only read or edit cold data do not. The
   * thread also indexes new messages for search, as `searchIndexing` says (search-indexer.ts).
   */
  async startSqliteWriter(
    file: string,
    logger: Logger,
    searchIndexing: SearchIndexing = DEFAULT_SEARCH_INDEXING,
  ): Promise<void> {
    if (this.kind !== 'sqlite') throw new Error('startSqliteWriter is for SQLite stores');
    if (this.writer) return;
    const [auto] =
      await this.ctx.db.$queryRawUnsafe<{ wal_autocheckpoint: number | bigint }[]>('PRAGMA wal_autocheckpoint');
    this.writer = await SqliteWriter.start(file, logger, Number(auto?.wal_autocheckpoint ?? 1000), searchIndexing);
  }

  /** The SQLite writer thread's handle, when it runs (tests end its thread as a crash would). */
  get sqliteWriter(): SqliteWriter | null {
    return this.writer;
  }

  /** SQLite only: checkpoint the WAL automatically after this many pages, or never (0; see SqliteCheckpointer). */
  async setWalAutocheckpoint(pages: number): Promise<void> {
    if (this.kind !== 'sqlite') throw new Error('setWalAutocheckpoint is for SQLite stores');
    await this.ctx.db.$queryRawUnsafe(`PRAGMA wal_autocheckpoint = ${Math.max(0, Math.trunc(pages))}`);
    this.writer?.setAutocheckpoint(pages);
  }

  /**
   * The durability settings in force on this connection (SQLite only): what the crash tests check,
   * so a change to them cannot slip by. `synchronous` 2 is FULL.
   */
  async sqliteDurability(): Promise<{
    journalMode: string;
    synchronous: number;
    walAutocheckpoint: number;
  }> {
    if (this.kind !== 'sqlite') throw new Error('sqliteDurability is for SQLite stores');
    const db = this.ctx.db;
    const [mode] = await db.$queryRawUnsafe<{ journal_mode: string }[]>('PRAGMA journal_mode');
    const [sync] = await db.$queryRawUnsafe<{ synchronous: number | bigint }[]>('PRAGMA synchronous');
    const [auto] = await db.$queryRawUnsafe<{ wal_autocheckpoint: number | bigint }[]>('PRAGMA wal_autocheckpoint');
    return {
      journalMode: String(mode?.journal_mode),
      synchronous: Number(sync?.synchronous),
      walAutocheckpoint: Number(auto?.wal_autocheckpoint),
    };
  }

  async ping(): Promise<void> {
    await this.ctx.db.$queryRawUnsafe('SELECT 1');
  }

  async close(): Promise<void> {
    await this.writer?.stop();
    this.writer = null;
    await this.pgWriter?.close();
    this.pgWriter = null;
    this.reader?.close();
    await this.ctx.db.$disconnect();
  }

  // Sites
  getSite: Store['getSite'] = (...a) => this.sites.getSite(...a);
  getSites: Store['getSites'] = (...a) => this.sites.getSites(...a);
  createSite: Store['createSite'] = (...a) => this.sites.createSite(...a);
  listSites: Store['listSites'] = (...a) => this.sites.listSites(...a);
  updateSite: Store['updateSite'] = (...a) => this.sites.updateSite(...a);

  // Users
  getUser: Store['getUser'] = (...a) => this.users.getUser(...a);
  findUserByUsername: Store['findUserByUsername'] = (...a) => this.users.findUserByUsername(...a);
  findUserByExternalId: Store['findUserByExternalId'] = (...a) => this.users.findUserByExternalId(...a);
  createUser: Store['createUser'] = (...a) => this.users.createUser(...a);
  updateUser: Store['updateUser'] = (...a) => this.users.updateUser(...a);
  setLastSeen: Store['setLastSeen'] = (...a) => this.users.setLastSeen(...a);
  searchUsers: Store['searchUsers'] = (...a) => this.users.searchUsers(...a);
  confirmEmail: Store['confirmEmail'] = (...a) => this.users.confirmEmail(...a);

  // Profiles from the site's profile provider
  staleProfiles: Store['staleProfiles'] = (...a) => this.profiles.staleProfiles(...a);
  saveFetchedProfiles: Store['saveFetchedProfiles'] = (...a) => this.profiles.saveFetchedProfiles(...a);

  remoteContacts: Store['remoteContacts'] = (...a) => this.remote.remoteContacts(...a);
  findRemoteContact: Store['findRemoteContact'] = (...a) => this.remote.findRemoteContact(...a);
  createRemoteContact: Store['createRemoteContact'] = (...a) => this.remote.createRemoteContact(...a);
  setRemoteDelivered: Store['setRemoteDelivered'] = (...a) => this.remote.setRemoteDelivered(...a);
  createApiKey: Store['createApiKey'] = (...a) => this.apiKeys.createApiKey(...a);
  getApiKey: Store['getApiKey'] = (...a) => this.apiKeys.getApiKey(...a);
  listApiKeys: Store['listApiKeys'] = (...a) => this.apiKeys.listApiKeys(...a);
  revokeApiKey: Store['revokeApiKey'] = (...a) => this.apiKeys.revokeApiKey(...a);
  touchApiKey: Store['touchApiKey'] = (...a) => this.apiKeys.touchApiKey(...a);
  claimIdempotent: Store['claimIdempotent'] = (...a) => this.apiKeys.claimIdempotent(...a);
  finishIdempotent: Store['finishIdempotent'] = (...a) => this.apiKeys.finishIdempotent(...a);
  releaseIdempotent: Store['releaseIdempotent'] = (...a) => this.apiKeys.releaseIdempotent(...a);
  sweepIdempotent: Store['sweepIdempotent'] = (...a) => this.apiKeys.sweepIdempotent(...a);
  usersByIds: Store['usersByIds'] = (...a) => this.hostUsers.usersByIds(...a);
  userMetadata: Store['userMetadata'] = (...a) => this.hostUsers.userMetadata(...a);
  setUserMetadata: Store['setUserMetadata'] = (...a) => this.hostUsers.setUserMetadata(...a);
  wipeUser: Store['wipeUser'] = (...a) => this.hostUsers.wipeUser(...a);

  // Used action tokens
  claimActionToken: Store['claimActionToken'] = (...a) => this.actionTokens.claimActionToken(...a);
  sweepActionTokens: Store['sweepActionTokens'] = (...a) => this.actionTokens.sweepActionTokens(...a);

  // Webhooks (docs/webhooks.md)
  createWebhookEndpoint: Store['createWebhookEndpoint'] = (...a) => this.webhooks.createWebhookEndpoint(...a);
  listWebhookEndpoints: Store['listWebhookEndpoints'] = (...a) => this.webhooks.listWebhookEndpoints(...a);
  enabledWebhookEndpoints: Store['enabledWebhookEndpoints'] = (...a) => this.webhooks.enabledWebhookEndpoints(...a);
  setWebhookEndpointDisabled: Store['setWebhookEndpointDisabled'] = (...a) =>
    this.webhooks.setWebhookEndpointDisabled(...a);
  deleteWebhookEndpoint: Store['deleteWebhookEndpoint'] = (...a) => this.webhooks.deleteWebhookEndpoint(...a);
  queueWebhookDeliveries: Store['queueWebhookDeliveries'] = (...a) => this.webhooks.queueWebhookDeliveries(...a);
  advanceWebhookCursor: Store['advanceWebhookCursor'] = (...a) => this.webhooks.advanceWebhookCursor(...a);
  messagesForWebhooks: Store['messagesForWebhooks'] = (...a) => this.webhooks.messagesForWebhooks(...a);
  unreadForWebhooks: Store['unreadForWebhooks'] = (...a) => this.webhooks.unreadForWebhooks(...a);
  claimDueWebhookDeliveries: Store['claimDueWebhookDeliveries'] = (...a) =>
    this.webhooks.claimDueWebhookDeliveries(...a);
  finishWebhookAttempt: Store['finishWebhookAttempt'] = (...a) => this.webhooks.finishWebhookAttempt(...a);
  sweepWebhookDeliveries: Store['sweepWebhookDeliveries'] = (...a) => this.webhooks.sweepWebhookDeliveries(...a);

  // Sessions
  createSession: Store['createSession'] = (...a) => this.sessions.createSession(...a);
  getSession: Store['getSession'] = (...a) => this.sessions.getSession(...a);
  connection: Store['connection'] = (...a) => this.sessions.connection(...a);
  revokeSession: Store['revokeSession'] = (...a) => this.sessions.revokeSession(...a);
  revokeUserSessions: Store['revokeUserSessions'] = (...a) => this.sessions.revokeUserSessions(...a);
  sessionCount: Store['sessionCount'] = (...a) => this.sessions.sessionCount(...a);
  deleteEndedSessions: Store['deleteEndedSessions'] = (...a) => this.sessions.deleteEndedSessions(...a);

  // Roster
  setBuddies: Store['setBuddies'] = (...a) => this.buddies.setBuddies(...a);
  roster: Store['roster'] = (...a) => this.buddies.roster(...a);
  relation: Store['relation'] = (...a) => this.buddies.relation(...a);
  changeRelations: Store['changeRelations'] = (...a) => this.buddies.changeRelations(...a);
  renameGroup: Store['renameGroup'] = (...a) => this.buddies.renameGroup(...a);
  areMutualBuddies: Store['areMutualBuddies'] = (...a) => this.buddies.areMutualBuddies(...a);
  blockedWith: Store['blockedWith'] = (...a) => this.buddies.blockedWith(...a);
  blocksAmong: Store['blocksAmong'] = (...a) => this.buddies.blocksAmong(...a);

  // Inbox and the hot path
  append: Store['append'] = (...a) => (this.writer ? this.writer.append(...a) : this.inbox.append(...a));
  readInbox: Store['readInbox'] = (...a) => this.inbox.readInbox(...a);
  inboxHead: Store['inboxHead'] = (...a) => this.inbox.inboxHead(...a);

  // Messages
  getMessage: Store['getMessage'] = (...a) => this.messages.getMessage(...a);
  findMessageByClientId: Store['findMessageByClientId'] = (...a) => this.messages.findMessageByClientId(...a);
  history: Store['history'] = (...a) => this.messages.history(...a);
  searchMessages: Store['searchMessages'] = (...a) => this.messages.searchMessages(...a);
  hiddenFor: Store['hiddenFor'] = (...a) => this.messages.hiddenFor(...a);
  conversations: Store['conversations'] = (...a) => this.messages.conversations(...a);
  deleteMessagesBefore: Store['deleteMessagesBefore'] = (...a) => this.messages.deleteMessagesBefore(...a);

  // Changes to messages
  changeMessage: Store['changeMessage'] = (...a) => this.changes.changeMessage(...a);
  hideMessage: Store['hideMessage'] = (...a) => this.changes.hideMessage(...a);
  messageEdits: Store['messageEdits'] = (...a) => this.changes.messageEdits(...a);

  // Rooms
  createRoom: Store['createRoom'] = (...a) => this.rooms.createRoom(...a);
  getRoom: Store['getRoom'] = (...a) => this.rooms.getRoom(...a);
  updateRoom: Store['updateRoom'] = (...a) => this.rooms.updateRoom(...a);
  roomMembers: Store['roomMembers'] = (...a) => this.rooms.roomMembers(...a);
  roomRole: Store['roomRole'] = (...a) => this.rooms.roomRole(...a);
  setRoomMember: Store['setRoomMember'] = (...a) => this.rooms.setRoomMember(...a);
  removeRoomMember: Store['removeRoomMember'] = (...a) => this.rooms.removeRoomMember(...a);
  closeRoom: Store['closeRoom'] = (...a) => this.rooms.closeRoom(...a);
  roomsOf: Store['roomsOf'] = (...a) => this.rooms.roomsOf(...a);
  roomList: Store['roomList'] = (...a) => this.rooms.roomList(...a);
  roomCounts: Store['roomCounts'] = (...a) => this.rooms.roomCounts(...a);
  searchPublicRooms: Store['searchPublicRooms'] = (...a) => this.rooms.searchPublicRooms(...a);
  roomPeers: Store['roomPeers'] = (...a) => this.rooms.roomPeers(...a);

  // Read markers
  roomReadMarkers: Store['roomReadMarkers'] = (...a) => this.markers.roomReadMarkers(...a);
  roomActivity: Store['roomActivity'] = (...a) => this.markers.roomActivity(...a);

  // Digests
  digestCandidates: Store['digestCandidates'] = (...a) => this.digests.digestCandidates(...a);
  waitingMessages: Store['waitingMessages'] = (...a) => this.digests.waitingMessages(...a);
  claimDigest: Store['claimDigest'] = (...a) => this.digests.claimDigest(...a);

  // Files
  createFile: Store['createFile'] = (...a) => this.files.createFile(...a);
  getFile: Store['getFile'] = (...a) => this.files.getFile(...a);
  fileSentIn: Store['fileSentIn'] = (...a) => this.files.fileSentIn(...a);
  uploadedBytesSince: Store['uploadedBytesSince'] = (...a) => this.files.uploadedBytesSince(...a);
  unreferencedFiles: Store['unreferencedFiles'] = (...a) => this.files.unreferencedFiles(...a);
  deleteUnreferencedFile: Store['deleteUnreferencedFile'] = (...a) => this.files.deleteUnreferencedFile(...a);
}
