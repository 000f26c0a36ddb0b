import { useState } from 'preact/hooks';
import { useWidget } from './context.js';

/** Sign-in for Parley accounts, and sign-up where the site allows it. */
export function AuthForm() {
  const { client, t } = useWidget();
  const [busy, setBusy] = useState(false);
  const [signUp, setSignUp] = useState(false);
  const problem = client.problem.value;
  const canSignUp = client.siteConfig.value?.registrationOpen === true;

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const field = (name: string) => String(form.get(name) ?? '');
    setBusy(true);
    if (signUp) await client.register(field('username'), field('password'), field('displayName'));
    else await client.login(field('username'), field('password'));
    setBusy(false);
  };

  const heading = signUp ? t('signUpTitle') : t('signInTitle');
  return (
    <form class="auth" onSubmit={submit} aria-label={heading}>
      <h3>{heading}</h3>
      <label>
        {t('username')}
        <input name="username" autocomplete="username" required maxLength={64} autocapitalize="none" />
      </label>
      {signUp && (
        <label>
          {t('displayName')}
          <input name="displayName" autocomplete="name" maxLength={64} />
        </label>
      )}
      <label>
        {t('password')}
        <input
          name="password"
          type="password"
          autocomplete={signUp ? 'new-password' : 'current-password'}
          required
          minLength={signUp ? 8 : 1}
          maxLength={1024}
        />
      </label>
      {problem && (
        <p class="error" role="alert">
          {problem.message}
        </p>
      )}
      <button type="submit" class="primary" disabled={busy}>
        {busy ? t('signingIn') : signUp ? t('signUp') : t('signIn')}
      </button>
      {canSignUp && (
        <button type="button" class="link" onClick={() => setSignUp(!signUp)}>
          {signUp ? t('haveAccount') : t('noAccount')}
        </button>
      )}
    </form>
  );
}
