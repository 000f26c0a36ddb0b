import type { UserSummary } from '@parley/backend/protocol';

/** The user's picture (https only, checked by the server) or their initial. */
export function Avatar({ user }: { user: UserSummary }) {
  return (
    <span class="avatar" aria-hidden="true">
      {user.avatarUrl ? (
        <img src={user.avatarUrl} alt="" referrerpolicy="no-referrer" loading="lazy" />
      ) : (
        Array.from(user.displayName)[0]?.toUpperCase()
      )}
    </span>
  );
}
