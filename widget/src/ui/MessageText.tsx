import type { MessageContent as Content } from '@parley/backend/protocol';
import type { ComponentChildren } from 'preact';
import { useWidget } from './context.js';
import { callLogIcon, callLogText } from './call-log.js';
import { contentText } from './content-preview.js';
import { FileContent } from './FileContent.js';
import { deceptiveHost, hostAsTyped, withoutTrailing } from './links.js';

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+/gi;
/**
 * Message text as text: Preact renders strings as text nodes, never as HTML. Only http(s) URLs
 * become links, opened in a new tab without giving the page a handle on ours.
 */
export function MessageText({ text }: { text: string }) {
  const parts: ComponentChildren[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = withoutTrailing(match[0]);
    let href: string | null = null;
    let shown = url;
    try {
      const parsed = new URL(url);
      if (parsed.protocol === 'http:' || parsed.protocol === 'https:') href = parsed.href;
      // The host as typed is Unicode; parsed.hostname is its punycode. Show that where the
      // Unicode would pass for another site's name.
      const typedHost = hostAsTyped(url);
      if (deceptiveHost(typedHost)) shown = url.replace(typedHost, parsed.hostname);
    } catch {
      href = null; // not a URL after all: it stays text
    }
    if (!href) continue;
    parts.push(text.slice(last, match.index));
    parts.push(
      <a href={href} target="_blank" rel="noopener noreferrer nofollow" title={href}>
        {shown}
      </a>,
    );
    last = match.index + url.length;
  }
  parts.push(text.slice(last));
  return (
    <span class="body" dir="auto">
      {parts}
    </span>
  );
}

/**
 * What a message holds: text as text; a file as its thumbnail, player or card (and its caption);
 * a kind this widget does not know yet, as a neutral line. `conversation` is the chat's local key.
 */
export function MessageContent({ content, conversation }: { content: Content; conversation: string }) {
  const { t } = useWidget();
  const text = contentText(content);
  if (text !== null) return <MessageText text={text} />;
  if (content?.kind === 'deleted') return <span class="body deleted">{t('messageDeleted')}</span>;
  const file = content?.kind === 'file' ? content.file : undefined;
  if (file && typeof file.id === 'string' && typeof file.name === 'string') {
    return (
      <span class="file-message">
        <FileContent file={file} conversation={conversation} />
        {content.kind === 'file' && typeof content.text === 'string' && content.text && (
          <MessageText text={content.text} />
        )}
      </span>
    );
  }
  if (content?.kind === 'call' && content.call && typeof content.call.outcome === 'string') {
    return (
      <span class={`body call-log ${content.call.outcome}`}>
        <span aria-hidden="true">{callLogIcon(content.call)} </span>
        {callLogText(content.call, t.locale)}
      </span>
    );
  }
  return <span class="body unsupported">{t('unsupportedMessage')}</span>;
}
