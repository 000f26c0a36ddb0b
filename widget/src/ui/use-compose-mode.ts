import { useState } from 'preact/hooks';
import { quoteOf, type ShownMessage } from '../core/client.js';
import type { MessageActionHandlers } from './MessageActions.js';
import { useWidget } from './context.js';

/**
 * The chat's composer modes and message actions: replying to a message (the composer shows its
 * quote), editing one (the composer holds its text; Enter saves), and the actions menu's handlers
 * (react, reply, edit, delete), with the server's refusal as `problem` (`too_late` said plainly).
 */
export function useComposeMode(peerId: string, setDraft: (text: string) => void, focus: () => void) {
  const { client, t } = useWidget();
  const [replying, setReplying] = useState<ShownMessage | null>(null);
  const [editing, setEditing] = useState<ShownMessage | null>(null);
  const [problem, setProblem] = useState('');
  const refused = (err: Error & { code?: string }) =>
    setProblem(err.code === 'too_late' ? t('editTooLate') : t('changeFailed', { reason: err.message }));
  const attempt = (run: Promise<void>) => {
    setProblem('');
    run.catch(refused);
  };

  const cancel = () => {
    if (editing) setDraft('');
    setEditing(null);
    setReplying(null);
    setProblem('');
  };

  /** What the reply being written quotes. */
  const quote = replying?.id ? quoteOf({ ...replying, id: replying.id }) : null;

  return {
    replying,
    quote,
    editing,
    problem,
    cancel,
    /** The composer's Enter: saves an edit, or sends (as a reply when replying). False when there was nothing to do. */
    submit(draft: string): boolean {
      if (!draft.trim()) return false;
      if (editing?.id) {
        const id = editing.id;
        setProblem('');
        client.edit(peerId, id, draft.trim()).then(() => {
          setEditing(null);
          setDraft('');
        }, refused);
        return true;
      }
      client.send(peerId, draft, quote ?? undefined);
      setReplying(null);
      setDraft('');
      return true;
    },
    /** What the actions menu of message `m` does. */
    handlers(m: ShownMessage): MessageActionHandlers {
      const id = m.id ?? '';
      return {
        react: (emoji, on) => attempt(client.react(peerId, id, emoji, on)),
        reply() {
          setEditing(null);
          setReplying(m);
          focus();
        },
        edit() {
          setReplying(null);
          setEditing(m);
          setDraft(
            m.content.kind === 'text' ? m.content.text : m.content.kind === 'file' ? (m.content.text ?? '') : '',
          );
          focus();
        },
        remove: (scope) => attempt(client.remove(peerId, id, scope)),
      };
    },
  };
}
