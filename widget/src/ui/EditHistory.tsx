import { useState } from 'preact/hooks';
import type { MessageEdit } from '@parley/backend/protocol';
import { useWidget } from './context.js';
import { MessageText } from './MessageText.js';

/**
 * The "edited" mark, with the time of the last edit in its title. For the sender it is a button
 * that shows the earlier texts (`message:edits`; only the sender may read them).
 */
export function EditedMark({
  editedAt,
  mine,
  load,
}: {
  editedAt: string;
  mine: boolean;
  load: () => Promise<MessageEdit[]>;
}) {
  const { t } = useWidget();
  const [edits, setEdits] = useState<MessageEdit[] | null>(null);
  const [open, setOpen] = useState(false);
  const [problem, setProblem] = useState('');
  const time = (iso: string) =>
    new Date(iso).toLocaleString(t.locale, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  const title = t('editedAt', { time: time(editedAt) });
  if (!mine) {
    return (
      <span class="edited" title={title}>
        {t('edited')}
      </span>
    );
  }
  const toggle = () => {
    setOpen(!open);
    if (open) return;
    setProblem('');
    load().then(setEdits, (err: Error) => setProblem(t('changeFailed', { reason: err.message })));
  };
  return (
    <>
      <button type="button" class="link edited" title={title} aria-expanded={open} onClick={toggle}>
        {t('edited')}
      </button>
      {open && (
        <div class="edit-history" role="group" aria-label={t('earlierTexts')}>
          {problem && <p role="alert">{problem}</p>}
          {edits && edits.length === 0 && <p>{t('noEarlierTexts')}</p>}
          {edits && edits.length > 0 && (
            <ol>
              {edits.map((e) => (
                <li key={e.editedAt}>
                  <MessageText text={e.text} />
                  <time dateTime={e.editedAt}>{time(e.editedAt)}</time>
                </li>
              ))}
            </ol>
          )}
        </div>
      )}
    </>
  );
}
