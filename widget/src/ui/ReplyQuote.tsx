import type { ReplyRef } from '@parley/backend/protocol';
import type { ShownMessage } from '../core/client.js';
import type { Translate } from '../i18n.js';
import { useWidget } from './context.js';
import { contentPreview } from './content-preview.js';

/**
 * What a quote says of the quoted message: its excerpt; for a file, what it is (the loaded original
 * tells a photo or a voice message from other files); "Message deleted" once it is gone.
 */
export function quoteText(reply: ReplyRef, original: ShownMessage | undefined, t: Translate): string {
  if (reply.kind === 'deleted') return t('messageDeleted');
  if (reply.kind === 'call' && original) return contentPreview(original.content, t);
  if (reply.kind === 'file') {
    const file = original?.content.kind === 'file' ? original.content.file : null;
    if (file?.media === 'image') return t('photo');
    if (file?.voice) return t('voiceMessage');
    return original ? contentPreview(original.content, t) : t('filePreview', { name: reply.excerpt });
  }
  return reply.excerpt;
}

interface QuoteProps {
  reply: ReplyRef;
  /** The quoting reply's sender's view of who wrote the original ("You" for the user). */
  name: string;
  /** The original, when it is loaded in this conversation. */
  original: ShownMessage | undefined;
}

/** A sent reply's quote: a button that jumps to the original, however far back (see ChatView's jumpTo). */
export function ReplyQuote({ reply, name, original, onJump }: QuoteProps & { onJump: (messageId: string) => void }) {
  const { t } = useWidget();
  const text = quoteText(reply, original, t);
  return (
    <button
      type="button"
      class={`quote${reply.kind === 'deleted' ? ' gone' : ''}`}
      title={t('showOriginal')}
      onClick={() => onJump(reply.id)}
    >
      <span class="quote-from">{name}</span>
      <span class="quote-text">{text}</span>
    </button>
  );
}

/** Above the composer: the message being answered (with a cancel button), or the one being edited. */
export function ComposerBanner({
  label,
  reply,
  name,
  original,
  cancelLabel,
  onCancel,
}: Partial<QuoteProps> & { label: string; cancelLabel: string; onCancel: () => void }) {
  const { t } = useWidget();
  return (
    <div class="composer-banner" role="group" aria-label={label}>
      <span class="quote">
        <span class="quote-from">{label}</span>
        {reply && (
          <span class="quote-text">
            {name ? `${name}: ` : ''}
            {quoteText(reply, original, t)}
          </span>
        )}
      </span>
      <button type="button" class="icon" aria-label={cancelLabel} onClick={onCancel}>
        ×
      </button>
    </div>
  );
}
