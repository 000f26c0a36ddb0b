import type { RoomInfo } from '@parley/backend/protocol';
import { useState } from 'preact/hooks';
import { useWidget } from './context.js';
import { LineForm } from './LineForm.js';

/** A room's members with presence, and what the user's role lets them do: invite, remove, rename, leave, close. */
export function RoomMembers({ room }: { room: RoomInfo }) {
  const { client, t } = useWidget();
  const me = client.me.value;
  const role = client.roleIn(room);
  const manager = role === 'owner' || role === 'admin';
  const inRoom = new Set(room.members.map((m) => m.user.id));
  const buddies = client.roster.value.filter((e) => e.state === 'accepted' && !inRoom.has(e.user.id));
  const [invitee, setInvitee] = useState('');
  const [name, setName] = useState(room.name);
  const act = (run: Promise<unknown>) =>
    run.catch((err: Error) => console.warn(`[Parley] room action failed: ${err.message}`));
  const roomId = room.id;

  return (
    <section class="members" aria-label={t('members')}>
      <ul>
        {room.members.map((m) => (
          <li key={m.user.id} class="request">
            <span class={`dot ${m.presence.state}`} aria-hidden="true" />
            <span class="who">
              <span class="name" dir="auto">
                {m.user.displayName}
              </span>
              <span class="presence">
                {/* Invitees have no presence in a room until they accept (the server sends none). */}
                {m.role === 'invited' ? t('invited') : t(m.presence.state)}
                {m.role !== 'member' && m.role !== 'invited' && ` · ${t(m.role)}`}
              </span>
            </span>
            {manager && m.user.id !== me?.id && m.role !== 'owner' && (role === 'owner' || m.role !== 'admin') && (
              <button
                type="button"
                class="small"
                aria-label={`${t('remove')} ${m.user.displayName}`}
                onClick={() => act(client.roomAction('room:remove', { roomId, userId: m.user.id }))}
              >
                {t('remove')}
              </button>
            )}
            {role === 'owner' && (m.role === 'member' || m.role === 'admin') && (
              <button
                type="button"
                class="small"
                onClick={() =>
                  act(
                    client.roomAction('room:role', {
                      roomId,
                      userId: m.user.id,
                      role: m.role === 'admin' ? 'member' : 'admin',
                    }),
                  )
                }
              >
                {m.role === 'admin' ? t('unmakeAdmin') : t('makeAdmin')}
              </button>
            )}
          </li>
        ))}
      </ul>
      {buddies.length > 0 && (
        <form
          class="search"
          onSubmit={(e) => {
            e.preventDefault();
            if (invitee)
              void act(client.roomAction('room:invite', { roomId, userId: invitee }).then(() => setInvitee('')));
          }}
        >
          <select aria-label={t('inviteBuddy')} value={invitee} onChange={(e) => setInvitee(e.currentTarget.value)}>
            <option value="">{t('inviteBuddy')}</option>
            {buddies.map((b) => (
              <option key={b.user.id} value={b.user.id}>
                {b.user.displayName}
              </option>
            ))}
          </select>
          <button type="submit" class="small">
            {t('invite')}
          </button>
        </form>
      )}
      {manager && (
        <LineForm
          label={t('roomName')}
          value={name}
          onInput={setName}
          button={t('rename')}
          onSubmit={() => {
            if (name.trim()) void act(client.roomAction('room:rename', { roomId, name: name.trim() }));
          }}
        />
      )}
      <button type="button" class="link" onClick={() => act(client.roomAction('room:leave', { roomId }))}>
        {t('leaveRoom')}
      </button>
      {role === 'owner' && (
        <button type="button" class="link" onClick={() => act(client.roomAction('room:close', { roomId }))}>
          {t('closeRoom')}
        </button>
      )}
    </section>
  );
}
