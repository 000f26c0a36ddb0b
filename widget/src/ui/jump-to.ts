/**
 * THE SEAM for jumping to a message (a reply's quote, later a search result). Until the
 * jump-to-message core lands (branch wsrch: `message:around` loads the message with its neighbours
 * and shows it highlighted), a jump reaches only messages already loaded: it scrolls to the message,
 * highlights it for a moment and focuses it. Returns false when the message is not loaded.
 */
export function jumpToLoaded(list: HTMLElement | null, messageId: string): boolean {
  const item = list?.querySelector<HTMLElement>(`li[data-id="${CSS.escape(messageId)}"]`);
  if (!item) return false;
  item.scrollIntoView({ block: 'center' });
  item.focus({ preventScroll: true });
  item.classList.add('highlight');
  setTimeout(() => item.classList.remove('highlight'), 2000);
  return true;
}
