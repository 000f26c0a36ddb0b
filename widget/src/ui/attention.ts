import type { ParleyClient } from '../core/client.js';
import type { Translate } from '../i18n.js';
import { contentPreview } from './content-preview.js';
import type { ViewState } from './view-state.js';

/**
 * Keeps the visitor informed, whether or not the panel was ever opened (this runs in the core
 * chunk, beside the client): the unread count in the page title, an optional sound, and a desktop
 * notification while the tab is hidden (only if the user turned it on, which is when the
 * browser's permission is asked). A mention is louder than a message: the chime plays twice, and
 * the notification says who mentioned the user where, and stays until clicked. `t` gives the
 * translator of the current locale. Returns the stop.
 */
export function startAttention(client: ParleyClient, view: ViewState, t: () => Translate): () => void {
  // Straight from the signal, not through rendering: a background tab may not render for a while.
  const base = document.title.replace(/^\(\d+\+?\) /, '');
  const stopTitle = client.unreadTotal.subscribe((unread) => {
    document.title = unread > 0 ? `(${unread > 99 ? '99+' : unread}) ${base}` : base;
  });
  const stopMessages = client.events.on('message', ({ from, message }) => {
    if (client.prefs.value.sound) chime();
    // A room message opens the room, not a chat with its sender.
    const where = message.roomId ? `room:${message.roomId}` : message.senderId;
    const body = contentPreview(message.content, t());
    notifyHidden(client, view, t()('newMessageFrom', { name: from?.displayName ?? '' }), body, {
      tag: `parley-${where}`,
      open: where,
    });
  });
  const stopMentions = client.events.on('mention', ({ roomId, from, message }) => {
    if (client.prefs.value.sound) setTimeout(chime, 400);
    const room = client.rooms.value.get(roomId)?.name ?? '';
    const body = contentPreview(message.content, t());
    notifyHidden(client, view, t()('mentionIn', { name: from?.displayName ?? '', room }), body, {
      tag: `parley-room:${roomId}`, // the same tag as the message's notification, which this one replaces
      open: `room:${roomId}`,
      requireInteraction: true,
    });
  });
  return () => {
    stopTitle();
    stopMessages();
    stopMentions();
    document.title = base;
  };
}

/**
 * A desktop notification, only when the user turned them on, the browser allows them and the tab
 * is hidden (a visible tab shows the message itself). Clicking it brings the tab forward and opens
 * the conversation (`open`: a peer id or `room:<id>`).
 */
function notifyHidden(
  client: ParleyClient,
  view: ViewState,
  title: string,
  body: string,
  options: { tag: string; open: string; requireInteraction?: boolean },
): void {
  if (!client.prefs.value.notifications || document.visibilityState !== 'hidden') return;
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  const n = new Notification(title, {
    body: body.slice(0, 140),
    tag: options.tag,
    requireInteraction: options.requireInteraction ?? false,
  });
  // oxlint-disable-next-line unicorn/prefer-add-event-listener -- one handler for a notification we just made
  n.onclick = () => {
    window.focus();
    view.open(options.open);
    n.close();
  };
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
