import type { MessageContent } from '@parley/backend/protocol';
import { formatDuration } from '../core/file-format.js';
import type { Translate } from '../i18n.js';
import { callLogIcon, callLogText } from './call-log.js';

/** The text of a message, or null for a kind of content this widget does not know. */
export const contentText = (content: MessageContent | undefined): string | null =>
  content?.kind === 'text' && typeof content.text === 'string' ? content.text : null;

/**
 * A one-line preview of a message (recent list, notifications): its text; for a file, what it is
 * ("📷 Photo", "🎤 Voice message 0:04", "📎 report.pdf") and its caption; a call, its log line
 * ("📹 Video call · 1:23", "📵 Missed voice call").
 */
export function contentPreview(content: MessageContent | undefined, t: Translate): string {
  const text = contentText(content);
  if (text !== null) return text;
  if (content?.kind === 'file' && content.file && typeof content.file.name === 'string') {
    const { file } = content;
    const what =
      file.media === 'image'
        ? t('photo')
        : file.voice
          ? t('voicePreview', { duration: formatDuration(file.durationMs) }).trim()
          : t('filePreview', { name: file.name });
    return typeof content.text === 'string' && content.text ? `${what} ${content.text}` : what;
  }
  if (content?.kind === 'deleted') return t('messageDeleted');
  if (content?.kind === 'call' && content.call && typeof content.call.outcome === 'string') {
    return `${callLogIcon(content.call)} ${callLogText(content.call, t.locale)}`;
  }
  return t('unsupportedMessage');
}
