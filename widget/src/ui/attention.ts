import { useEffect } from 'preact/hooks';
import { useWidget } from './context.js';

/**
 * Keeps the visitor informed: the unread count in the page title, an optional sound, and a
 * desktop notification while the tab is hidden (only if the user turned it on, which is when the
 * browser's permission is asked).
 */
export function useAttention(): void {
  const { client, t } = useWidget();

  // Straight from the signal, not through rendering: a background tab may not render for a while.
  useEffect(() => {
    const base = document.title.replace(/^\(\d+\+?\) /, '');
    const stop = client.unreadTotal.subscribe((unread) => {
      document.title = unread > 0 ? `(${unread > 99 ? '99+' : unread}) ${base}` : base;
    });
    return () => {
      stop();
      document.title = base;
    };
  }, [client]);

  useEffect(
    () =>
      client.events.on('message', ({ from, message }) => {
        const prefs = client.prefs.value;
        if (prefs.sound) chime();
        if (prefs.notifications && document.visibilityState === 'hidden' && 'Notification' in window) {
          if (Notification.permission === 'granted') {
            const n = new Notification(t('newMessageFrom', { name: from?.displayName ?? '' }), {
              body: message.body.slice(0, 140),
              tag: `parley-${message.senderId}`,
            });
            n.onclick = () => {
              window.focus();
              client.open(message.senderId);
              n.close();
            };
          }
        }
      }),
    [client, t],
  );
}

/**
 * A mention is louder than a message: the chime plays twice, and the desktop notification (when
 * enabled and the tab is hidden) says who mentioned the user where.
 */
export function useMentionAttention(): void {
  const { client, t } = useWidget();
  useEffect(
    () =>
      client.events.on('mention', ({ roomId, from, message }) => {
        const prefs = client.prefs.value;
        if (prefs.sound) setTimeout(chime, 400);
        if (prefs.notifications && document.visibilityState === 'hidden' && 'Notification' in window) {
          if (Notification.permission === 'granted') {
            const room = client.rooms.value.get(roomId)?.name ?? '';
            const n = new Notification(t('mentionIn', { name: from?.displayName ?? '', room }), {
              body: message.body.slice(0, 140),
              tag: `parley-room-${roomId}`,
              requireInteraction: true,
            });
            n.onclick = () => {
              window.focus();
              client.open(`room:${roomId}`);
              n.close();
            };
          }
        }
      }),
    [client, t],
  );
}

let audio: AudioContext | undefined;

/** A short two-tone chime made on the spot: no sound file to download. */
function chime(): void {
  try {
    audio ??= new AudioContext();
    const now = audio.currentTime;
    for (const [i, freq] of [880, 1320].entries()) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.001, now + i * 0.12);
      gain.gain.exponentialRampToValueAtTime(0.15, now + i * 0.12 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.001, now + i * 0.12 + 0.25);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + i * 0.12);
      osc.stop(now + i * 0.12 + 0.3);
    }
  } catch (err) {
    console.warn('[Parley] cannot play the notification sound', err);
  }
}

/** Asks for notification permission (called when the user ticks the setting). */
export async function askNotificationPermission(): Promise<boolean> {
  if (!('Notification' in window)) return false;
  if (Notification.permission === 'granted') return true;
  return (await Notification.requestPermission()) === 'granted';
}
