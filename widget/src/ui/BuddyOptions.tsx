import type { RosterEntry } from '@parley/backend/protocol';
import { useState } from 'preact/hooks';
import { useWidget } from './context.js';

type Risky = 'roster:remove' | 'roster:block';

/**
 * What the user can do about a buddy from their chat: put them in a group, remove them, block
 * them. Removing and blocking ask for a second click first. A failure shows its reason here.
 */
export function BuddyOptions({ entry }: { entry: RosterEntry }) {
  const { client, view, t } = useWidget();
  const { user } = entry;
  const [group, setGroup] = useState(entry.group ?? '');
  const [confirming, setConfirming] = useState<Risky | null>(null);
  const [note, setNote] = useState('');
  const groups = [...new Set(client.roster.value.map((e) => e.group).filter((g): g is string => !!g))].sort();

  const run = (task: Promise<unknown>, done: () => void) => task.then(done, (err: Error) => setNote(err.message));
  const risky = (event: Risky) => {
    if (confirming !== event) return setConfirming(event);
    // Gone from the list (removed) or blocked: back to the list.
    void run(client.request(event, { userId: user.id }), () => view.open(null));
  };

  return (
    <section class="members" aria-label={t('buddyOptions')}>
      <form
        class="options-row"
        onSubmit={(e) => {
          e.preventDefault();
          void run(client.request('roster:group', { userId: user.id, group: group.trim() || null }), () =>
            setNote(t('saved')),
          );
        }}
      >
        <label>
          {t('group')}
          <input
            value={group}
            list="parley-groups"
            maxLength={64}
            placeholder={t('ungrouped')}
            onInput={(e) => setGroup(e.currentTarget.value)}
          />
        </label>
        <datalist id="parley-groups">
          {groups.map((g) => (
            <option key={g} value={g} />
          ))}
        </datalist>
        <button type="submit" class="small">
          {t('moveToGroup')}
        </button>
      </form>
      <div class="options-row">
        <button type="button" class="small" onClick={() => risky('roster:remove')}>
          {confirming === 'roster:remove' ? t('confirmRemoveBuddy', { name: user.displayName }) : t('removeBuddy')}
        </button>
        <button type="button" class="small danger" onClick={() => risky('roster:block')}>
          {confirming === 'roster:block' ? t('confirmBlock', { name: user.displayName }) : t('block')}
        </button>
      </div>
      {note && <p role="status">{note}</p>}
    </section>
  );
}
