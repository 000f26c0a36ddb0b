import type { FileInfo } from '@parley/backend/protocol';
import { signal } from '@preact/signals';
import { render, type ComponentType } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { fileLabel, formatBytes, formatDuration, thumbBox } from '../core/file-format.js';
import type { ResolvedFileUrls } from '../core/file-urls.js';
import { useWidget } from './context.js';
import { Icon } from './Icon.js';
import type { ImageViewerProps } from './ImageViewer.js';

/**
 * A file message's file: an image as a thumbnail that opens the viewer, audio (voice messages)
 * with a player, anything else as a card with a download link. Names are text, never HTML. The
 * bytes come through signed URLs (`file:urls`), asked again when they expire or fail to load.
 */
export function FileContent({ file, conversation }: { file: FileInfo; conversation: string }) {
  if (file.media === 'image') return <ImageThumb file={file} conversation={conversation} />;
  if (file.media === 'audio') return <AudioPlayer file={file} conversation={conversation} />;
  return <FileCard file={file} conversation={conversation} />;
}

/** Becomes true once `ref`'s element comes near the screen (and stays true). */
function useNearScreen(ref: { current: Element | null }): boolean {
  const [near, setNear] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (near || !el) return;
    if (typeof IntersectionObserver === 'undefined') return void setNear(true);
    const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && setNear(true), {
      rootMargin: '200px',
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [near, ref]);
  return near;
}

/**
 * The file's URLs, asked for only once its message comes near the screen (a long history of
 * files asks for what is seen, not for everything at once); none for a null id. A load error asks
 * once more with fresh URLs (they may have expired); the server saying "too many requests" is
 * waited out a few times.
 */
function useFileUrls(conversation: string, fileId: string | null, near = true) {
  const { client } = useWidget();
  const [urls, setUrls] = useState<ResolvedFileUrls | null>(null);
  const [failed, setFailed] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const busy = useRef(0);
  useEffect(() => {
    setUrls(null);
    if (!fileId || !near) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    client.fileUrls(conversation, fileId, attempt > 0).then(
      (value) => live && setUrls(value),
      (err: Error & { code?: string }) => {
        if (!live) return;
        if (err.code === 'rate_limited' && busy.current < 3) {
          busy.current++;
          timer = setTimeout(() => setAttempt((a) => a + 1), 1000 * busy.current);
          return;
        }
        console.warn('[Parley] could not get the file’s address', err);
        setFailed(true);
      },
    );
    return () => {
      live = false;
      clearTimeout(timer);
    };
    // oxlint-disable-next-line react-hooks/exhaustive-deps -- the client is one per widget and never changes
  }, [conversation, fileId, attempt, near]);
  return {
    urls,
    failed,
    /** A load failed: once with fresh URLs (they may have expired), then it stays failed until asked. */
    loadError() {
      if (attempt === 0) setAttempt(1);
      else setFailed(true);
    },
    retry() {
      busy.current = 0;
      setFailed(false);
      setAttempt((a) => a + 1);
    },
  };
}

function LoadFailed({ retry }: { retry: () => void }) {
  const { t } = useWidget();
  return (
    <span class="file-failed">
      <span>{t('loadFailed')}</span>{' '}
      <button type="button" class="link" onClick={retry}>
        {t('loadAgain')}
      </button>
    </span>
  );
}

/** The image being viewed, one for the whole widget (the viewer is rendered by its chat, see ImageOverlay). */
const viewing = signal<{ conversation: string; file: FileInfo; returnTo: HTMLElement | null } | null>(null);
let viewerModule: Promise<ComponentType<ImageViewerProps>> | null = null;
/** The viewer is an on-demand chunk: loaded the first time an image is opened. */
const loadViewer = () => {
  viewerModule ??= import('./ImageViewer.js').then((m) => m.ImageViewer);
  viewerModule.catch(() => (viewerModule = null));
  return viewerModule;
};

function ImageThumb({ file, conversation }: { file: FileInfo; conversation: string }) {
  const { t } = useWidget();
  const root = useRef<HTMLSpanElement>(null);
  const { urls, failed, loadError, retry } = useFileUrls(conversation, file.id, useNearScreen(root));
  const box = thumbBox(file);
  const src = urls ? (urls.thumbUrl ?? urls.url) : undefined;
  return (
    <span class="file-image-wrap" ref={root}>
      <button
        type="button"
        class="file-image"
        aria-label={t('openImage', { name: file.name })}
        style={{ width: `${box.width}px`, aspectRatio: `${box.width} / ${box.height}` }}
        onClick={(e) => {
          const returnTo = e.currentTarget;
          void loadViewer().then(
            () => (viewing.value = { conversation, file, returnTo }),
            (err: unknown) => console.error('[Parley] the image viewer could not be loaded', err),
          );
        }}
      >
        {src && !failed && <img src={src} alt={file.name} onError={loadError} />}
      </button>
      {failed && <LoadFailed retry={retry} />}
    </span>
  );
}

/**
 * The viewer of the image opened in this conversation, if any. It is rendered in a layer of its own
 * at the top of the widget's shadow root, outside the panel (which clips what overflows it); on
 * close the thumbnail that opened it gets the focus back.
 */
export function ImageOverlay({ conversation }: { conversation: string }) {
  const { t } = useWidget();
  const anchor = useRef<HTMLSpanElement>(null);
  const shown = viewing.value?.conversation === conversation ? viewing.value : null;
  const [Viewer, setViewer] = useState<ComponentType<ImageViewerProps> | null>(null);
  const { urls, loadError } = useFileUrls(conversation, shown ? shown.file.id : null);
  useEffect(() => {
    if (shown && !Viewer) void loadViewer().then((v) => setViewer(() => v));
  }, [shown, Viewer]);
  useLayoutEffect(() => {
    const root = anchor.current?.getRootNode();
    if (!shown || !Viewer || !urls || !root) return;
    const layer = document.createElement('div');
    (root instanceof ShadowRoot ? root : document.body).append(layer);
    render(
      <Viewer
        url={urls.url}
        name={shown.file.name}
        label={t('imageViewer', { name: shown.file.name })}
        closeLabel={t('close')}
        onError={loadError}
        onClose={() => (viewing.value = null)}
      />,
      layer,
    );
    return () => {
      render(null, layer);
      layer.remove();
      // Once the rest of the widget is no longer inert (the viewer's own cleanup) and re-rendered.
      const back = shown.returnTo;
      setTimeout(() => back?.isConnected && back.focus());
    };
    // oxlint-disable-next-line react-hooks/exhaustive-deps -- t and loadError change with every render; the viewer follows shown and its URLs
  }, [shown, Viewer, urls]);
  return <span ref={anchor} hidden />;
}

function AudioPlayer({ file, conversation }: { file: FileInfo; conversation: string }) {
  const { client, t } = useWidget();
  const root = useRef<HTMLSpanElement>(null);
  const { urls, failed, loadError, retry } = useFileUrls(conversation, file.id, useNearScreen(root));
  const audio = useRef<HTMLAudioElement>(null);
  const [playing, setPlaying] = useState(false);
  const [position, setPosition] = useState(0);
  const [mediaMs, setMediaMs] = useState<number | null>(null);
  // The recorder's measure first: Chromium reports MediaRecorder's WebM as lasting Infinity.
  const lengthMs = file.durationMs ?? mediaMs;
  const percent = lengthMs ? Math.min(100, Math.round((position / lengthMs) * 100)) : 0;
  const shownMs = playing || position > 0 ? position : lengthMs;
  return (
    <span class="audio-player" ref={root} data-duration-ms={file.durationMs ?? undefined}>
      <button
        type="button"
        class="play"
        disabled={!urls || failed}
        aria-label={playing ? t('pause') : file.voice ? t('playVoice') : t('playAudio', { name: file.name })}
        onClick={() => {
          const el = audio.current;
          if (!el || !urls) return;
          if (!el.paused) return el.pause();
          const play = () => el.play().catch((err: unknown) => console.warn('[Parley] could not play', err));
          // Nothing loaded yet and the signed URL has expired meanwhile (a page left open): a fresh one first.
          if (el.readyState === 0 && urls.expiresAt < Date.now() + 5_000) {
            void client.fileUrls(conversation, file.id, true).then((fresh) => {
              el.src = fresh.url;
              return play();
            }, loadError);
          } else void play();
        }}
      >
        <span aria-hidden="true">{playing ? '❚❚' : '▶'}</span>
      </button>
      <span
        class="track"
        role="progressbar"
        aria-label={t('playback')}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
      >
        <span class="fill" style={{ width: `${percent}%` }} />
      </span>
      <span class="time">
        {formatDuration(shownMs)}
        {(playing || position > 0) && lengthMs ? ` / ${formatDuration(lengthMs)}` : ''}
      </span>
      {!file.voice && (
        <span class="file-name" dir="auto">
          {file.name}
        </span>
      )}
      {failed && <LoadFailed retry={retry} />}
      {urls && (
        <audio
          ref={audio}
          src={urls.url}
          preload="none"
          onLoadedMetadata={(e) => {
            const d = e.currentTarget.duration;
            if (Number.isFinite(d)) setMediaMs(d * 1000);
          }}
          onPlay={() => setPlaying(true)}
          onPause={() => setPlaying(false)}
          onTimeUpdate={(e) => setPosition(e.currentTarget.currentTime * 1000)}
          onEnded={() => {
            setPlaying(false);
            setPosition(0);
          }}
          onError={loadError}
        />
      )}
    </span>
  );
}

function FileCard({ file, conversation }: { file: FileInfo; conversation: string }) {
  const { client, t } = useWidget();
  const root = useRef<HTMLSpanElement>(null);
  const { urls, failed, retry } = useFileUrls(conversation, file.id, useNearScreen(root));
  return (
    <span class="file-card" ref={root}>
      <span class="file-icon" aria-hidden="true">
        <svg viewBox="0 0 32 40" width="32" height="40">
          <path fill="currentColor" opacity="0.15" d="M2 2h19l9 9v27H2z" />
          <path fill="none" stroke="currentColor" stroke-width="2" d="M2 2h19l9 9v27H2zM21 2v9h9" />
        </svg>
        <span class="file-ext">{fileLabel(file.mime, file.name)}</span>
      </span>
      <span class="file-text">
        <span class="file-name" dir="auto">
          {file.name}
        </span>
        <span class="file-size">{formatBytes(file.size, t.locale)}</span>
      </span>
      {urls && (
        <a
          class="download"
          href={urls.url}
          target="_blank"
          rel="noopener noreferrer"
          download={file.name}
          aria-label={t('download', { name: file.name })}
          onClick={(e) => {
            // Shown a while ago: the signed URL may have expired; open a fresh one.
            if (urls.expiresAt > Date.now() + 5_000) return;
            e.preventDefault();
            void client.fileUrls(conversation, file.id, true).then(
              (fresh) => window.open(fresh.url, '_blank', 'noopener,noreferrer'),
              (err: unknown) => console.warn('[Parley] could not get the file’s address', err),
            );
          }}
        >
          <Icon d="M12 4v11m-5-5 5 5 5-5M5 20h14" />
        </a>
      )}
      {failed && <LoadFailed retry={retry} />}
    </span>
  );
}
