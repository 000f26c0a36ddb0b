/**
 * Extra people and history for the e2e tests, written through the store into the running
 * server's SQLite file (WAL mode lets both write). Demo users alice, bob and carol exist already.
 */
import { v7 as uuidv7 } from 'uuid';
import {
  directConversationId,
  hashPassword,
  roomConversationId,
  withStore,
  type MessageRecord,
  type Store,
  type WriteItem,
} from '@parley/backend/testing';
import type { FileInfo } from '@parley/backend/protocol';

/** A stored file's record, as the store takes it (the testing entry does not name the type). */
type StoredFileRecord = Parameters<Store['createFile']>[0];

/** Users with password `<name>-pass`; none are anyone's buddy unless said below. */
export const E2E_USERS = [
  'dave',
  'erin',
  'finn',
  'gwen',
  'hank',
  'iris',
  'jade',
  'kyle',
  'jack',
  'kate',
  'liam',
  'mona',
  'nico',
  'olga',
  'pete',
  'quin',
  'rosa',
  'sami',
  'tess',
  'uma',
  'vic',
  'wes',
  'xan',
  'yara',
  'zeke',
  'alma',
  'bert',
  'cara',
  'dora',
  'emil',
  'axel',
  'boris',
  'cole',
  'dina',
  'hugo',
  'ines',
  'nora',
  'otto',
] as const;

/** Display names other than the capitalised username (long ones, to catch text that overflows). */
const DISPLAY_NAMES: Partial<Record<(typeof E2E_USERS)[number], string>> = {
  uma: 'Uma Wolfeschlegelsteinhausenbergerdorff',
  vic: 'Victoria Featherstonehaugh-Cholmondeley',
};
export const HISTORY_SIZE = 200;

export async function seed(databaseFile: string): Promise<void> {
  await withStore({ kind: 'sqlite', url: databaseFile }, async (store) => {
    const ids: Record<string, string> = {};
    for (const name of E2E_USERS) {
      ids[name] = uuidv7();
      await store.createUser({
        id: ids[name],
        siteId: 'demo',
        username: name,
        displayName: DISPLAY_NAMES[name] ?? name[0]!.toUpperCase() + name.slice(1),
        avatarUrl: null,
        passwordHash: await hashPassword(`${name}-pass`),
      });
    }
    // finn and gwen are buddies with a long history, for scrolling back.
    await store.setBuddies(ids.finn!, ids.gwen!, 'accepted');
    // hank and iris are buddies, for the offline outbox and the XSS corpus.
    await store.setBuddies(ids.hank!, ids.iris!, 'accepted');
    // jade and kyle are buddies, for the embedding tests (hostile page, strict CSP).
    await store.setBuddies(ids.jade!, ids.kyle!, 'accepted');
    // mona and nico are buddies, for going away when idle.
    await store.setBuddies(ids.mona!, ids.nico!, 'accepted');
    // olga and pete are buddies, for desktop notifications and the phone layout.
    await store.setBuddies(ids.olga!, ids.pete!, 'accepted');
    // quin has two buddies, rosa and sami, to group, remove and block.
    await store.setBuddies(ids.quin!, ids.rosa!, 'accepted');
    await store.setBuddies(ids.quin!, ids.sami!, 'accepted');
    // A site with a default theme, for the theming tests, and one that allows no local origin.
    await store.createSite({
      id: 'themed',
      name: 'Themed',
      secret: 'themed-secret-'.repeat(3),
      origins: ['http://127.0.0.1:*', 'http://localhost:*'],
      settings: { theme: { primaryColor: 'rgb(0, 128, 0)', radius: 4, mode: 'auto', title: 'Site title' } },
    });
    await store.createSite({
      id: 'strict',
      name: 'Strict',
      secret: 'strict-secret-'.repeat(3),
      origins: ['https://shop.example'],
      settings: {},
    });
    // yara and zeke are buddies, for the on-demand chunks (commands queued before them; the unread
    // badge with the panel never loaded).
    await store.setBuddies(ids.yara!, ids.zeke!, 'accepted');
    // tests/files.spec.ts, apart from the demo users other specs count messages of: alma and bert
    // (alice and bob of the issue) exchange a picture that cara (carol), a buddy of both but not in
    // their conversation, must not get at; dora sends emil a PDF and a voice message while he is away.
    await store.setBuddies(ids.alma!, ids.bert!, 'accepted');
    await store.setBuddies(ids.alma!, ids.cara!, 'accepted');
    await store.setBuddies(ids.bert!, ids.cara!, 'accepted');
    await store.setBuddies(ids.dora!, ids.emil!, 'accepted');
    // tests/calls.spec.ts: axel calls boris (the alice and bob) and sends him a file
    // directly; dina, axel's buddy, is offline when he calls; cole (carol) was boris's buddy until
    // boris blocked him.
    await store.setBuddies(ids.axel!, ids.boris!, 'accepted');
    await store.setBuddies(ids.axel!, ids.dina!, 'accepted');
    await store.changeRelations([
      { ownerId: ids.boris!, buddyId: ids.cole!, state: 'blocked', group: null },
      { ownerId: ids.cole!, buddyId: ids.boris!, state: 'accepted', group: null },
    ]);
    // A picture from Zeke to Yara: opening it loads the image viewer's chunk.
    await store.append([
      await fileMessage(store, ids.zeke!, ids.yara!, new Date(Date.now() - 3_600_000), {
        name: 'zeke-photo.png',
        mime: 'image/png',
        size: 20_480,
        media: 'image',
        width: 320,
        height: 240,
        hasThumb: true,
      }),
    ]);
    // tests/npm-package.spec.ts: nora and otto chat in an app that imports @parley/widget.
    await store.setBuddies(ids.nora!, ids.otto!, 'accepted');
    // jack invites his buddies kate and liam to a room.
    await store.setBuddies(ids.jack!, ids.kate!, 'accepted');
    await store.setBuddies(ids.jack!, ids.liam!, 'accepted');
    const start = Date.now() - HISTORY_SIZE * 60_000;
    const items = [];
    for (let i = 1; i <= HISTORY_SIZE; i++) {
      const fromFinn = i % 2 === 1;
      items.push({
        type: 'message' as const,
        message: {
          id: uuidv7({ msecs: start + i * 60_000 }),
          siteId: 'demo',
          senderId: fromFinn ? ids.finn! : ids.gwen!,
          recipientId: fromFinn ? ids.gwen! : ids.finn!,
          conversationId: directConversationId(ids.finn!, ids.gwen!),
          clientId: `seed-${i}`,
          body: `history ${i}`,
          createdAt: new Date(start + i * 60_000),
        },
      });
    }
    await store.append(items);
    await seedMatrix(store, ids);
    await seedSearch(store, ids.hugo!, ids.ines!);
  });
}

/**
 * tests/search.spec.ts: Hugo and Ines, buddies with {@link SEARCH_HISTORY} messages, the two it
 * searches for about 2,000 back from the newest (an English word, and a two-character Chinese word
 * inside a Chinese sentence). Every other message is `searchFiller(n)`.
 */
export const SEARCH_HISTORY = 2100;
export const SEARCH_TARGETS = {
  english: { n: 100, text: 'Remember to bring the telescope to the rooftop on Friday.', query: 'telescope' },
  chinese: { n: 101, text: '我们明天在图书馆见面吧', query: '见面' },
} as const;
export const searchFiller = (n: number) => (n % 3 === 0 ? `第 ${n} 条：今天天气不错` : `Note ${n} about nothing much`);

async function seedSearch(store: Store, hugo: string, ines: string): Promise<void> {
  await store.setBuddies(hugo, ines, 'accepted');
  const start = Date.now() - (SEARCH_HISTORY + 10) * 60_000;
  const texts = new Map<number, string>(Object.values(SEARCH_TARGETS).map((t) => [t.n, t.text]));
  const items: WriteItem[] = [];
  for (let n = 1; n <= SEARCH_HISTORY; n++) {
    const fromHugo = n % 2 === 1;
    const createdAt = new Date(start + n * 60_000);
    items.push({
      type: 'message',
      message: {
        id: uuidv7({ msecs: createdAt.getTime() }),
        siteId: 'demo',
        senderId: fromHugo ? hugo : ines,
        recipientId: fromHugo ? ines : hugo,
        conversationId: directConversationId(hugo, ines),
        clientId: `search-${n}`,
        body: texts.get(n) ?? searchFiller(n),
        createdAt,
      },
    });
  }
  for (let i = 0; i < items.length; i += 500) await store.append(items.slice(i, i + 500));
}

/**
 * Tess, whom the screen matrix (tests/matrix.spec.ts) signs in: something on every screen. Buddies
 * Uma (a chat with two days of history) and Vic (in a group, with unread messages that the matrix
 * never opens); a request from Wes; Xan blocked; a room she owns with Uma and Vic, and an
 * invitation to Vic's room. The matrix only looks, so each of its runs finds the same.
 */
async function seedMatrix(store: Store, ids: Record<string, string>): Promise<void> {
  const { tess, uma, vic, wes, xan } = ids as Record<'tess' | 'uma' | 'vic' | 'wes' | 'xan', string>;
  await store.setBuddies(tess, uma, 'accepted');
  await store.changeRelations([
    { ownerId: tess, buddyId: vic, state: 'accepted', group: 'Work' },
    { ownerId: vic, buddyId: tess, state: 'accepted', group: null },
    { ownerId: tess, buddyId: wes, state: 'pending', group: null },
    { ownerId: wes, buddyId: tess, state: 'requested', group: null },
    { ownerId: tess, buddyId: xan, state: 'blocked', group: null },
  ]);
  const now = Date.now();
  const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000);
  const message = (
    from: string,
    to: string,
    minutesAgo: number,
    body: string,
    roomId?: string,
    mentions?: string[],
  ): WriteItem => {
    const createdAt = at(minutesAgo);
    const record: MessageRecord = {
      id: uuidv7({ msecs: createdAt.getTime() }),
      siteId: 'demo',
      senderId: from,
      recipientId: roomId ? '' : to,
      conversationId: roomId ? roomConversationId(roomId) : directConversationId(from, to),
      clientId: `matrix-${minutesAgo}`,
      body,
      createdAt,
      ...(roomId ? { roomId } : {}),
      ...(mentions ? { mentions } : {}),
    };
    return { type: 'message', message: record };
  };
  const room = uuidv7();
  const invitation = uuidv7();
  const created = at(3000);
  await store.createRoom(
    {
      id: room,
      siteId: 'demo',
      name: 'Design review',
      public: true,
      ownerId: tess,
      closedAt: null,
      createdAt: created,
    },
    [
      { userId: tess, role: 'owner', invitedBy: null },
      { userId: uma, role: 'member', invitedBy: tess },
      { userId: vic, role: 'admin', invitedBy: tess },
    ],
  );
  await store.createRoom(
    {
      id: invitation,
      siteId: 'demo',
      name: 'Book club',
      public: false,
      ownerId: vic,
      closedAt: null,
      createdAt: created,
    },
    [
      { userId: vic, role: 'owner', invitedBy: null },
      { userId: tess, role: 'invited', invitedBy: vic },
    ],
  );
  const earlier = Array.from({ length: 8 }, (_, i) =>
    message(i % 2 ? tess : uma, i % 2 ? uma : tess, 1600 - i * 10, `Earlier message ${i + 1} about the launch plan`),
  );
  await store.append([
    ...earlier,
    message(uma, tess, 1500, 'Did you see the new mock-ups?'),
    message(tess, uma, 1490, 'Yes, they look great. The header is a bit tall on phones.'),
    message(uma, tess, 1480, 'Agreed. Notes are here: https://example.org/design/notes?rev=42'),
    message(tess, uma, 30, 'Morning! Shall we go through them at ten?'),
    message(uma, tess, 25, 'Sure 👍 one more thing: supercalifragilisticexpialidocious-long-words-must-wrap-too'),
    message(tess, uma, 20, 'See you then.\nI will bring coffee.'),
    message(tess, '', 60, 'Welcome to the design review room!', room),
    message(uma, '', 50, 'Thanks! @tess I pushed the new icons.', room, [tess]),
    message(vic, '', 40, 'Looks good to me. Shipping on Friday?', room),
    ...(await seedMatrixFiles(store, tess, uma, now)),
    message(vic, tess, 10, 'Quick question about the budget'),
    message(vic, tess, 9, 'Call me when you can'),
  ]);
  await seedMatrixArchive(store, tess, uma, now);
}

/**
 * The matrix's message search: a room of Tess and Uma with two days old history, all read, where
 * {@link MATRIX_ARCHIVE}.results messages mention the query; the oldest is further back than the
 * newest page, so choosing it opens a window of older history ("Jump to latest").
 */
export const MATRIX_ARCHIVE = { room: 'Launch log', size: 200, query: 'checklist', results: 5 } as const;
// The oldest hit is 197 messages back: beyond what a tall phone panel loads by itself (it fills its
// height with older pages), so jumping to it always opens a window of older history.
const ARCHIVE_HITS = [3, 50, 110, 160, 195];
const ARCHIVE_NOTES = ['servers are warm', 'copy reviewed', 'press kit sent', 'pricing page live', 'support rota set'];

async function seedMatrixArchive(store: Store, tess: string, uma: string, now: number): Promise<void> {
  const room = uuidv7();
  await store.createRoom(
    {
      id: room,
      siteId: 'demo',
      name: MATRIX_ARCHIVE.room,
      public: false,
      ownerId: tess,
      closedAt: null,
      createdAt: new Date(now - 5000 * 60_000),
    },
    [
      { userId: tess, role: 'owner', invitedBy: null },
      { userId: uma, role: 'member', invitedBy: tess },
    ],
  );
  const items: WriteItem[] = [];
  let last = '';
  for (let i = 1; i <= MATRIX_ARCHIVE.size; i++) {
    const createdAt = new Date(now - (4400 - i * 10) * 60_000);
    last = uuidv7({ msecs: createdAt.getTime() });
    items.push({
      type: 'message',
      message: {
        id: last,
        siteId: 'demo',
        senderId: i % 2 ? uma : tess,
        recipientId: '',
        conversationId: roomConversationId(room),
        clientId: `archive-${i}`,
        body: ARCHIVE_HITS.includes(i)
          ? `Updated the launch checklist (step ${i}).`
          : `Log ${i}: ${ARCHIVE_NOTES[i % ARCHIVE_NOTES.length]}.`,
        createdAt,
        roomId: room,
      },
    });
  }
  // Tess has read it all: the room adds nothing to her unread count.
  items.push({
    type: 'receipt',
    receipt: {
      conversationId: roomConversationId(room),
      readerId: tess,
      peerId: '',
      kind: 'read',
      upTo: last,
      at: new Date(now),
    },
  });
  await store.append(items);
}

/** The stored files of the matrix's chat (records only; the matrix serves their bytes itself). */
export const MATRIX_FILES = {
  image: { name: 'whiteboard.png', width: 640, height: 480 },
  voice: { durationMs: 4200 },
  pdf: { name: 'launch-plan-final-v3.pdf', size: 184_320 },
} as const;

/**
 * Three file messages after Tess and Uma's text: a picture from Uma, a voice message from Tess, a
 * PDF from Uma, so the matrix shows a thumbnail, a player and a card.
 */
async function seedMatrixFiles(store: Store, tess: string, uma: string, now: number): Promise<WriteItem[]> {
  const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000);
  return [
    await fileMessage(store, uma, tess, at(19), {
      name: MATRIX_FILES.image.name,
      mime: 'image/png',
      size: 48_210,
      media: 'image',
      width: MATRIX_FILES.image.width,
      height: MATRIX_FILES.image.height,
      hasThumb: true,
    }),
    await fileMessage(store, tess, uma, at(18), {
      name: 'voice-message.webm',
      mime: 'audio/webm',
      size: 33_400,
      media: 'audio',
      durationMs: MATRIX_FILES.voice.durationMs,
      voice: true,
    }),
    await fileMessage(store, uma, tess, at(17), {
      name: MATRIX_FILES.pdf.name,
      mime: 'application/pdf',
      size: MATRIX_FILES.pdf.size,
      media: 'file',
    }),
  ];
}

/**
 * A file message from `from` to `to` (one-to-one): the stored file's record (no bytes: tests that
 * show it serve them with a route) and the message that refers to it.
 */
export async function fileMessage(
  store: Store,
  from: string,
  to: string,
  createdAt: Date,
  file: Pick<StoredFileRecord, 'name' | 'mime' | 'size' | 'media'> & Partial<StoredFileRecord>,
): Promise<WriteItem> {
  const conversationId = directConversationId(from, to);
  const record: StoredFileRecord = {
    id: uuidv7(),
    siteId: 'demo',
    uploaderId: from,
    conversationId,
    width: null,
    height: null,
    durationMs: null,
    voice: false,
    hasThumb: false,
    createdAt,
    ...file,
  };
  await store.createFile(record);
  const info: FileInfo = {
    id: record.id,
    name: record.name,
    size: record.size,
    mime: record.mime,
    media: record.media,
  };
  if (record.width !== null) info.width = record.width;
  if (record.height !== null) info.height = record.height;
  if (record.durationMs !== null) info.durationMs = record.durationMs;
  if (record.voice) info.voice = true;
  if (record.hasThumb) info.thumb = true;
  const message: MessageRecord = {
    id: uuidv7({ msecs: createdAt.getTime() }),
    siteId: 'demo',
    senderId: from,
    recipientId: to,
    conversationId,
    clientId: `seed-file-${record.id}`,
    body: '',
    createdAt,
    file: info,
  };
  return { type: 'message', message };
}
