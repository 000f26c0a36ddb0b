import type { Presence } from '@parley/backend/protocol';
import { useWidget } from './context.js';

export function relativeTime(iso: string, locale: string): string {
  const seconds = (Date.parse(iso) - Date.now()) / 1000;
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const steps: [number, Intl.RelativeTimeFormatUnit][] = [
    [60, 'second'],
    [3600, 'minute'],
    [86400, 'hour'],
    [604800, 'day'],
  ];
  let unit: Intl.RelativeTimeFormatUnit = 'week';
  let value = seconds / 604800;
  for (const [limit, name] of steps) {
    if (Math.abs(seconds) < limit) {
      const size = { second: 1, minute: 60, hour: 3600, day: 86400 }[name as 'second'];
      unit = name;
      value = seconds / size;
      break;
    }
  }
  return format.format(Math.round(value), unit);
}

/** "● Online · At lunch", or "Offline · Last seen 5 minutes ago". */
export function PresenceLabel({ presence }: { presence: Presence }) {
  const { t } = useWidget();
  const detail =
    presence.state !== 'offline'
      ? presence.status
      : presence.lastSeenAt
        ? t('lastSeen', { when: relativeTime(presence.lastSeenAt, t.locale) })
        : '';
  return (
    <span class="presence">
      <span class={`dot ${presence.state}`} aria-hidden="true" />
      {t(presence.state)}
      {detail && (
        <span class="status-text">
          {' · '}
          {/* The user's own status text: its direction is its own. */}
          <span dir={presence.state !== 'offline' ? 'auto' : undefined}>{detail}</span>
        </span>
      )}
    </span>
  );
}
