import { Limits } from '@parley/backend/protocol/constants';
import type { RefObject } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { callWords } from './call-log.js';
import { useWidget } from './context.js';
import { Icon } from './Icon.js';
import { ComposerBanner } from './ReplyQuote.js';
import type { useComposeMode } from './use-compose-mode.js';
import { VoiceButton } from './VoiceButton.js';

const EMOJI = '😀 😂 😊 😍 😎 🤔 😅 😢 😮 😴 👍 👎 👏 🙏 💪 👋 🎉 ❤️ 🔥 ✨ ✅ ❌ ⭐ ☕ 🍕 🎁 🚀 📎'.split(' ');

/**
 * The chat's composer: the emoji row, the refusal of an edit or a reaction, the banner of the
 * reply or edit being written, and the form: emoji, attach (paperclip, drop or paste), send
 * directly (an online buddy), the text box (Enter sends, Shift+Enter breaks the line, Escape
 * cancels a reply or edit), and one button where the thumb is: the microphone while there is
 * nothing to send, Send once there is. The draft lives in the chat (a host may hand one over).
 */
export function Composer({
  peerId,
  name,
  draft,
  setDraft,
  input,
  compose,
  nameOrYou,
  onSend,
  onAttach,
  onDirect,
  onRecorded,
}: {
  peerId: string;
  /** Who or which room the message goes to (the text box's label). */
  name: string;
  draft: string;
  setDraft: (text: string) => void;
  input: RefObject<HTMLTextAreaElement | null>;
  compose: ReturnType<typeof useComposeMode>;
  nameOrYou: (userId: string) => string;
  onSend: () => void;
  /** Attaches files; false when there were none. */
  onAttach: (files: Iterable<File> | null | undefined) => boolean;
  /** Sends a file directly (peer to peer) to the buddy, while they are online; null otherwise. */
  onDirect: ((file: File) => void) | null;
  /** A voice message was recorded (or the recorder closed). */
  onRecorded: () => void;
}) {
  const { client, t } = useWidget();
  const [emoji, setEmoji] = useState(false);
  const [recording, setRecording] = useState(false);
  const picker = useRef<HTMLInputElement>(null);
  const directPicker = useRef<HTMLInputElement>(null);
  const words = callWords(t.locale);
  return (
    <>
      {emoji && (
        <div class="emoji" role="group" aria-label={t('emoji')}>
          {EMOJI.map((e) => (
            <button
              key={e}
              type="button"
              aria-label={e}
              onClick={() => {
                setDraft(draft + e);
                setEmoji(false);
                input.current?.focus();
              }}
            >
              {e}
            </button>
          ))}
        </div>
      )}
      {compose.problem && (
        <p class="problem" role="alert">
          {compose.problem}
        </p>
      )}
      {compose.replying && (
        <ComposerBanner
          label={t('replyingTo', { name: nameOrYou(compose.replying.senderId) })}
          reply={compose.quote!}
          original={compose.replying}
          cancelLabel={t('cancelReply')}
          onCancel={compose.cancel}
        />
      )}
      {compose.editing && (
        <ComposerBanner label={t('editing')} cancelLabel={t('cancelEditing')} onCancel={compose.cancel} />
      )}
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          onSend();
        }}
      >
        {!recording && (
          <>
            <button
              type="button"
              class="icon"
              aria-label={t('emoji')}
              aria-expanded={emoji}
              onClick={() => setEmoji(!emoji)}
            >
              ☺
            </button>
            <button type="button" class="icon" aria-label={t('attachFile')} onClick={() => picker.current?.click()}>
              <Icon d="M20 11.5 12.4 19a5 5 0 0 1-7-7l8-8a3.3 3.3 0 0 1 4.7 4.7l-8 8a1.7 1.7 0 0 1-2.4-2.4l7.4-7.3" />
            </button>
            {onDirect && (
              <>
                <button
                  type="button"
                  class="icon"
                  aria-label={words.sendDirect}
                  title={words.sendDirect}
                  onClick={() => directPicker.current?.click()}
                >
                  <span aria-hidden="true">⇄</span>
                </button>
                <input
                  ref={directPicker}
                  type="file"
                  hidden
                  tabIndex={-1}
                  aria-hidden="true"
                  data-direct=""
                  onChange={(e) => {
                    const file = e.currentTarget.files?.[0];
                    e.currentTarget.value = '';
                    if (file) onDirect(file);
                  }}
                />
              </>
            )}
            <input
              ref={picker}
              type="file"
              multiple
              hidden
              tabIndex={-1}
              aria-hidden="true"
              onChange={(e) => {
                onAttach(e.currentTarget.files);
                e.currentTarget.value = ''; // the same file may be picked again
              }}
            />
            <textarea
              ref={input}
              aria-label={t('messageTo', { name })}
              rows={1}
              maxLength={Limits.messageBody}
              value={draft}
              onInput={(e) => {
                setDraft(e.currentTarget.value);
                client.typing(peerId, e.currentTarget.value.length > 0);
              }}
              onBlur={() => client.typing(peerId, false)}
              onPaste={(e) => {
                // An image (or any file) pasted into the box is attached. Not when the clipboard
                // also holds text: office apps put a picture of copied text beside the text itself.
                const data = e.clipboardData;
                if (!data || data.types.includes('text/plain')) return;
                if (onAttach(data.files)) e.preventDefault();
              }}
              onKeyDown={(e) => {
                if (e.key === 'Escape' && (compose.editing || compose.replying)) {
                  e.preventDefault();
                  e.stopPropagation();
                  compose.cancel();
                }
                if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
                  e.preventDefault();
                  onSend();
                }
              }}
            />
          </>
        )}
        {/* One button where the thumb is: the microphone while there is nothing to send, Send once there is. */}
        {recording || (!draft.trim() && !compose.editing) ? (
          <VoiceButton
            peerId={peerId}
            onRecording={(on) => {
              setRecording(on);
              if (on) setEmoji(false);
              else onRecorded();
            }}
          />
        ) : (
          <button type="submit" class="primary" disabled={!draft.trim()}>
            {compose.editing ? t('save') : t('send')}
          </button>
        )}
      </form>
    </>
  );
}
