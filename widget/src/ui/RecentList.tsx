import type { PublicRoom } from '@parley/backend/protocol';
import { useState } from 'preact/hooks';
import { roomIdOf, roomKey } from '../core/client.js';
import { contentPreview } from './content-preview.js';
import { Avatar } from './Avatar.js';
import { useWidget } from './context.js';
import { LineForm } from './LineForm.js';

/** Invitations, then conversations and rooms, most recent first, with unread counts and mentions. */
export function RecentList() {
  const { client, view, t } = useWidget();
  const me = client.me.value;
  const people = new Map(client.roster.value.map((e) => [e.user.id, e.user]));
  const rooms = client.rooms.value;
  const invitations = [...rooms.values()].filter((r) => client.roleIn(r) === 'invited');
  for (const room of rooms.values())
    for (const m of room.members) if (!people.has(m.user.id)) people.set(m.user.id, m.user);
  const recent = [...client.conversations.value.values()]
    .filter((c) => {
      const roomId = roomIdOf(c.peerId);
      return roomId ? rooms.has(roomId) && client.roleIn(rooms.get(roomId)!) !== 'invited' : c.last;
    })
    .sort((a, b) => ((a.last?.createdAt ?? '') < (b.last?.createdAt ?? '') ? 1 : -1));
  // Rooms joined but silent so far are listed too.
  const silent = [...rooms.values()].filter(
    (r) => client.roleIn(r) !== 'invited' && !client.conversations.value.has(roomKey(r.id)),
  );
  const act = (run: () => Promise<unknown>) =>
    run().catch((err: Error) => console.warn(`[Parley] room action failed: ${err.message}`));

  return (
    <div class="recent-wrap">
      {invitations.length > 0 && (
        <section class="requests" aria-label={t('invitations')}>
          <h3 class="group">{t('invitations')}</h3>
          <ul>
            {invitations.map((room) => (
              <li key={room.id} class="request">
                <span class="avatar room" aria-hidden="true">
                  #
                </span>
                <span class="who">
                  <span class="name" dir="auto">
                    {room.name}
                  </span>
                  <span class="presence">{t('invitedToRoom')}</span>
                </span>
                <button
                  type="button"
                  class="small primary"
                  aria-label={`${t('accept')} ${room.name}`}
                  onClick={() => act(() => client.joinRoom(room.id).then(() => view.open(roomKey(room.id))))}
                >
                  {t('accept')}
                </button>
                <button
                  type="button"
                  class="small"
                  aria-label={`${t('decline')} ${room.name}`}
                  onClick={() => act(() => client.roomAction('room:decline', { roomId: room.id }))}
                >
                  {t('decline')}
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      {recent.length === 0 && silent.length === 0 && <p class="empty">{t('noChats')}</p>}
      <ul class="recent" aria-label={t('chats')}>
        {[...recent, ...silent.map((r) => ({ peerId: roomKey(r.id), last: null, unread: 0, mentioned: 0 }))].map(
          (c) => {
            const room = rooms.get(roomIdOf(c.peerId) ?? '');
            const user = people.get(c.peerId);
            const last = c.last;
            const who = last && room && last.senderId !== me?.id ? `${people.get(last.senderId)?.displayName}: ` : '';
            const preview = last && contentPreview(last.content, t);
            const text = !last ? '' : last.senderId === me?.id ? t('you', { text: preview! }) : who + preview;
            const name = room?.name ?? user?.displayName ?? '…';
            return (
              <li key={c.peerId}>
                <button type="button" class="buddy" onClick={() => view.open(c.peerId)}>
                  {room ? (
                    <span class="avatar room" aria-hidden="true">
                      #
                    </span>
                  ) : (
                    user && <Avatar user={user} />
                  )}
                  <span class="who">
                    <span class="name" dir="auto">
                      {name}
                    </span>
                    <span class="presence preview" dir="auto">
                      {text}
                    </span>
                  </span>
                  {c.mentioned > 0 && <span class="badge mention">{t('mentionedYou')}</span>}
                  {c.unread > 0 && <span class="badge">{t('unread', { n: c.unread })}</span>}
                </button>
              </li>
            );
          },
        )}
      </ul>
      <RoomFinder />
    </div>
  );
}

/** Making a room, and finding public ones to join. */
function RoomFinder() {
  const { client, view, t } = useWidget();
  const [name, setName] = useState('');
  const [open, setOpen] = useState(false);
  const [found, setFound] = useState<PublicRoom[] | null>(null);

  const create = async () => {
    if (!name.trim()) return;
    try {
      const room = await client.createRoom(name.trim(), open);
      setName('');
      view.open(roomKey(room.id));
    } catch (err) {
      console.warn('[Parley] could not create the room', err);
    }
  };
  const search = async () => {
    try {
      setFound(await client.searchRooms(''));
    } catch (err) {
      console.warn('[Parley] room search failed', err);
      setFound([]);
    }
  };

  return (
    <section class="add" aria-label={t('rooms')}>
      <h3 class="group">{t('rooms')}</h3>
      <LineForm
        label={t('roomName')}
        placeholder
        value={name}
        onInput={setName}
        button={t('createRoom')}
        onSubmit={create}
      />
      <label class="choice">
        <input type="checkbox" checked={open} onChange={(e) => setOpen(e.currentTarget.checked)} />
        {t('publicRoom')}
      </label>
      <button type="button" class="link" onClick={search}>
        {t('findRooms')}
      </button>
      {found && found.length === 0 && <p class="empty">{t('noResults')}</p>}
      {found && found.length > 0 && (
        <ul>
          {found.map((room) => (
            <li key={room.id} class="request">
              <span class="who">
                <span class="name" dir="auto">
                  {room.name}
                </span>
                <span class="presence">{t('memberCount', { n: room.members })}</span>
              </span>
              {!client.rooms.value.has(room.id) && (
                <button
                  type="button"
                  class="small primary"
                  aria-label={`${t('join')} ${room.name}`}
                  onClick={() =>
                    client
                      .joinRoom(room.id)
                      .then(() => view.open(roomKey(room.id)))
                      .catch((err: Error) => console.warn(`[Parley] join failed: ${err.message}`))
                  }
                >
                  {t('join')}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
