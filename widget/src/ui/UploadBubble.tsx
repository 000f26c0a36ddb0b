import { formatBytes } from '../core/file-format.js';
import { percentOf } from '../core/upload-state.js';
import type { Upload } from '../core/uploads.js';
import { useWidget } from './context.js';

/**
 * A file on its way, in its conversation: name, size, a progress bar, Cancel; when it failed, the
 * server's reason (or ours, for a file stopped before sending) and Retry where retrying can help.
 * Once stored, it leaves this list and comes back as a pending message of the conversation.
 */
export function UploadBubble({ upload }: { upload: Upload }) {
  const { client, t } = useWidget();
  const { state } = upload;
  const reason = (): string => {
    if (state.phase !== 'failed') return '';
    if (state.message) return state.message;
    if (state.code === 'too_large') return t('fileTooLarge', { max: formatBytes(client.maxFileBytes, t.locale) });
    if (state.code === 'unsupported_file' && upload.size === 0) return t('fileEmpty');
    if (state.code === 'unavailable') return t('uploadUnreachable');
    return t('uploadRefused');
  };
  const percent = percentOf(state);
  return (
    <li class={`message mine upload ${state.phase}`} data-state={state.phase} part="message">
      <span class="upload-card">
        <span class="file-text">
          <span class="file-name" dir="auto">
            {upload.name}
          </span>
          <span class="file-size">{formatBytes(upload.size, t.locale)}</span>
        </span>
        {state.phase !== 'failed' && (
          <span
            class="track"
            role="progressbar"
            aria-label={t('uploading', { name: upload.name })}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={percent}
          >
            <span class="fill" style={{ width: `${percent}%` }} />
          </span>
        )}
        {state.phase === 'failed' && (
          <span class="upload-error" role="alert">
            {t('uploadFailed', { name: upload.name, reason: reason() })}
          </span>
        )}
      </span>
      <span class="meta">
        {state.phase === 'failed' && state.retryable && (
          <button type="button" class="link" onClick={() => client.retryUpload(upload.id)}>
            {t('retry')}
          </button>
        )}
        <button type="button" class="link" onClick={() => client.cancelUpload(upload.id)}>
          {t('cancel')}
        </button>
      </span>
    </li>
  );
}
