import type { ChosenPresence } from '@parley/backend/protocol';
import { Limits } from '@parley/backend/protocol/constants';
import { useState } from 'preact/hooks';
import { askNotificationPermission } from './attention.js';
import { useWidget } from './context.js';

/** Presence state, status text, notification settings, profile, e-mail and sign-out. */
export function StatusMenu({ onDone }: { onDone: () => void }) {
  const { client, t } = useWidget();
  const mine = client.myPresence.value;
  const prefs = client.prefs.value;
  const [state, setState] = useState<ChosenPresence>(mine.state);
  const [text, setText] = useState(mine.status);

  const save = async (event: Event) => {
    event.preventDefault();
    try {
      await client.setPresence(state, text.trim());
      onDone();
    } catch (err) {
      console.warn('[Parley] could not change status', err);
    }
  };

  return (
    <form class="menu" onSubmit={save} aria-label={t('menu')}>
      <fieldset>
        <legend>{t('status')}</legend>
        {(['online', 'away', 'busy', 'invisible'] as const).map((s) => (
          <label key={s} class="choice">
            <input type="radio" name="state" value={s} checked={state === s} onChange={() => setState(s)} />
            <span class={`dot ${s}`} aria-hidden="true" />
            {t(s)}
          </label>
        ))}
      </fieldset>
      <label>
        {t('statusText')}
        <input value={text} maxLength={140} onInput={(e) => setText(e.currentTarget.value)} />
      </label>
      <button type="submit" class="primary">
        {t('save')}
      </button>
      <fieldset>
        <legend>{t('settings')}</legend>
        <label class="choice">
          <input
            type="checkbox"
            checked={prefs.sound}
            onChange={(e) => client.setPrefs({ sound: e.currentTarget.checked })}
          />
          {t('sound')}
        </label>
        <label class="choice">
          <input
            type="checkbox"
            checked={prefs.notifications}
            onChange={async (e) => {
              const on = e.currentTarget.checked;
              // Permission is asked only now, when the user asks for notifications.
              client.setPrefs({ notifications: on && (await askNotificationPermission()) });
            }}
          />
          {t('notifications')}
        </label>
      </fieldset>
      <ProfileSettings />
      <EmailSettings />
      <button
        type="button"
        class="link"
        onClick={() => {
          onDone();
          void client.logout();
        }}
      >
        {t('signOut')}
      </button>
    </form>
  );
}

/** Runs a save and shows its outcome beside the button: "Saved", or the server's reason. */
function useSave() {
  const { t } = useWidget();
  const [note, setNote] = useState('');
  const save = (task: () => Promise<unknown>) =>
    task().then(
      () => setNote(t('saved')),
      (err: unknown) => setNote((err as Error).message),
    );
  return [note, save] as const;
}

/** The name buddies see and the picture beside it. */
function ProfileSettings() {
  const { client, t } = useWidget();
  const me = client.me.value;
  const [name, setName] = useState(me?.displayName ?? '');
  const [avatar, setAvatar] = useState(me?.avatarUrl ?? '');
  const [note, save] = useSave();
  return (
    <fieldset>
      <legend>{t('profile')}</legend>
      <label>
        {t('yourName')}
        <input value={name} maxLength={Limits.displayNameMax} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <label>
        {t('avatarUrl')}
        <input
          type="url"
          placeholder="https://"
          value={avatar}
          maxLength={Limits.avatarUrl}
          onInput={(e) => setAvatar(e.currentTarget.value)}
        />
      </label>
      <button
        type="button"
        class="small"
        onClick={() => save(() => client.updateProfile({ displayName: name.trim(), avatarUrl: avatar.trim() || null }))}
      >
        {t('saveProfile')}
      </button>
      {note && <span role="status"> {note}</span>}
    </fieldset>
  );
}

/** The address for digest e-mails and whether to send them; saved on the server. */
function EmailSettings() {
  const { client, t } = useWidget();
  const settings = client.settings.value;
  const [email, setEmail] = useState(settings.email ?? '');
  const [digests, setDigests] = useState(settings.emailDigests);
  const [note, save] = useSave();
  return (
    <fieldset>
      <legend>{t('email')}</legend>
      <label>
        {t('emailAddress')}
        <input type="email" value={email} maxLength={254} onInput={(e) => setEmail(e.currentTarget.value)} />
      </label>
      <label class="choice">
        <input type="checkbox" checked={digests} onChange={(e) => setDigests(e.currentTarget.checked)} />
        {t('emailDigests')}
      </label>
      <button
        type="button"
        class="small"
        onClick={() => save(() => client.updateProfile({ email: email.trim() || null, emailDigests: digests }))}
      >
        {t('saveEmail')}
      </button>
      {note && <span role="status"> {note}</span>}
      {settings.email && <EmailConfirmationState />}
    </fieldset>
  );
}

/** Whether the saved address is confirmed; until it is, no digest goes to it and the mail can be sent again. */
function EmailConfirmationState() {
  const { client, t } = useWidget();
  const { emailConfirmed } = client.settings.value;
  const [note, setNote] = useState('');
  if (emailConfirmed) return <p class="email-state confirmed">{t('emailConfirmed')}</p>;
  const resend = () =>
    client.resendEmailConfirmation().then(
      () => setNote(t('confirmationSent')),
      (err: unknown) => setNote((err as Error).message),
    );
  return (
    <p class="email-state pending">
      {t('emailUnconfirmed')}{' '}
      <button type="button" class="link" onClick={resend}>
        {t('resendConfirmation')}
      </button>
      {note && <span role="status"> {note}</span>}
    </p>
  );
}
