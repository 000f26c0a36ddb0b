import type { MessageContent } from '@parley/backend/protocol';
import type { Translate } from '../i18n.js';

/** The text of a message, or null for a kind of content this widget does not know. */
export const contentText = (content: MessageContent | undefined): string | null =>
  content?.kind === 'text' && typeof content.text === 'string' ? content.text : null;

/** A one-line preview of a message (recent list, notifications). */
export const contentPreview = (content: MessageContent | undefined, t: Translate): string =>
  contentText(content) ?? t('unsupportedMessage');
