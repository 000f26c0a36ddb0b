import type { RosterEntry, UserSummary } from '@parley/backend/protocol';
import { useState } from 'preact/hooks';
import { Avatar } from './Avatar.js';
import { useWidget } from './context.js';
import { LineForm } from './LineForm.js';
import { PresenceLabel } from './PresenceLabel.js';

/** Accepted buddies by group (online first), pending requests, blocked users, and adding someone by search. */
export function BuddyList() {
  const { client, view, t } = useWidget();
  const [filter, setFilter] = useState('');
  const roster = client.roster.value;
  const conversations = client.conversations.value;
  const needle = filter.trim().toLowerCase();
  const matches = (e: RosterEntry) =>
    !needle || e.user.displayName.toLowerCase().includes(needle) || e.user.username.includes(needle);

  const buddies = roster
    .filter((e) => e.state === 'accepted' && matches(e))
    .sort(
      (a, b) =>
        Number(b.presence.state !== 'offline') - Number(a.presence.state !== 'offline') ||
        a.user.displayName.localeCompare(b.user.displayName),
    );
  const groups = new Map<string, RosterEntry[]>();
  for (const entry of buddies) {
    const name = entry.group ?? '';
    groups.set(name, [...(groups.get(name) ?? []), entry]);
  }
  const requests = roster.filter((e) => e.state === 'pending' || e.state === 'requested');
  const blocked = roster.filter((e) => e.state === 'blocked');
  const act = (event: 'roster:accept' | 'roster:decline' | 'roster:cancel' | 'roster:unblock', userId: string) =>
    client.request(event, { userId }).catch((err: Error) => console.warn(`[Parley] ${event} failed: ${err.message}`));
  /** A small button for one person, named for screen readers with the action and the person. */
  const action = (
    event: 'roster:accept' | 'roster:decline' | 'roster:cancel' | 'roster:unblock',
    label: 'accept' | 'decline' | 'cancelRequest' | 'unblock',
    user: UserSummary,
    primary = false,
  ) => (
    <button
      type="button"
      class={primary ? 'small primary' : 'small'}
      aria-label={`${t(label)} ${user.displayName}`}
      onClick={() => act(event, user.id)}
    >
      {t(label)}
    </button>
  );

  return (
    <nav class="buddies" aria-label={t('buddies')}>
      {requests.length > 0 && (
        <section class="requests" aria-label={t('requests')}>
          <h3 class="group">{t('requests')}</h3>
          <ul>
            {requests.map(({ user, state }) => (
              <li key={user.id} class="request">
                <Avatar user={user} />
                <span class="who">
                  <span class="name" dir="auto">
                    {user.displayName}
                  </span>
                  <span class="presence">{state === 'pending' ? t('wantsToBeBuddies') : t('waitingForAnswer')}</span>
                </span>
                {state === 'pending' ? (
                  <>
                    {action('roster:accept', 'accept', user, true)}
                    {action('roster:decline', 'decline', user)}
                  </>
                ) : (
                  action('roster:cancel', 'cancelRequest', user)
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
      {roster.some((e) => e.state === 'accepted') && (
        <input
          class="filter"
          type="search"
          aria-label={t('filter')}
          placeholder={t('filter')}
          value={filter}
          onInput={(e) => setFilter(e.currentTarget.value)}
        />
      )}
      {buddies.length === 0 && !needle && <p class="empty">{t('noBuddies')}</p>}
      {[...groups].map(([group, entries]) => (
        <section key={group} aria-label={group || t('ungrouped')}>
          {(groups.size > 1 || group) && (
            <h3 class="group" dir="auto">
              {group || t('ungrouped')}
            </h3>
          )}
          <ul>
            {entries.map(({ user, presence }) => {
              const unread = conversations.get(user.id)?.unread ?? 0;
              return (
                <li key={user.id}>
                  <button
                    type="button"
                    class="buddy"
                    part="buddy"
                    data-presence={presence.state}
                    onClick={() => view.open(user.id)}
                  >
                    <Avatar user={user} />
                    <span class="who">
                      <span class="name" dir="auto">
                        {user.displayName}
                      </span>
                      <PresenceLabel presence={presence} />
                    </span>
                    {unread > 0 && <span class="badge">{t('unread', { n: unread })}</span>}
                  </button>
                </li>
              );
            })}
          </ul>
        </section>
      ))}
      {blocked.length > 0 && (
        <section aria-label={t('blocked')}>
          <h3 class="group">{t('blocked')}</h3>
          <ul>
            {blocked.map(({ user }) => (
              <li key={user.id} class="request">
                <Avatar user={user} />
                <span class="who">
                  <span class="name" dir="auto">
                    {user.displayName}
                  </span>
                </span>
                {action('roster:unblock', 'unblock', user)}
              </li>
            ))}
          </ul>
        </section>
      )}
      <AddBuddy />
    </nav>
  );
}

function AddBuddy() {
  const { client, t } = useWidget();
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<UserSummary[] | null>(null);
  const [asked, setAsked] = useState<Set<string>>(new Set());
  const known = new Set(client.roster.value.map((e) => e.user.id));

  const search = async () => {
    if (!query.trim()) return;
    try {
      setResults((await client.request('user:search', { query: query.trim() })).users);
    } catch (err) {
      console.warn('[Parley] search failed', err);
      setResults([]);
    }
  };
  const add = async (user: UserSummary) => {
    try {
      await client.request('roster:request', { userId: user.id });
      setAsked(new Set([...asked, user.id]));
    } catch (err) {
      console.warn('[Parley] buddy request failed', err);
    }
  };

  return (
    <section class="add" aria-label={t('addBuddy')}>
      <h3 class="group">{t('addBuddy')}</h3>
      <LineForm
        search
        label={t('searchPeople')}
        placeholder
        value={query}
        onInput={setQuery}
        button={t('search')}
        onSubmit={search}
      />
      {results && results.length === 0 && <p class="empty">{t('noResults')}</p>}
      {results && results.length > 0 && (
        <ul>
          {results.map((user) => (
            <li key={user.id} class="request">
              <Avatar user={user} />
              <span class="who">
                <span class="name" dir="auto">
                  {user.displayName}
                </span>
                <span class="presence">@{user.username}</span>
              </span>
              {!known.has(user.id) &&
                (asked.has(user.id) ? (
                  <span class="presence">{t('added')}</span>
                ) : (
                  <button
                    type="button"
                    class="small primary"
                    aria-label={`${t('add')} ${user.displayName}`}
                    onClick={() => add(user)}
                  >
                    {t('add')}
                  </button>
                ))}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
