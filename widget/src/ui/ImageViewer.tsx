/**
 * The image viewer, an on-demand chunk (FileContent.tsx imports it the first time an image is
 * opened): the full image over the page, a close button, Escape, and the focus kept inside while
 * open (the opener gets it back on close). Strings come in as props, so this chunk needs nothing
 * of the panel's but Preact.
 */
import { useEffect, useRef } from 'preact/hooks';

export interface ImageViewerProps {
  /** The signed URL of the full image. */
  url: string;
  /** The file name: the image's text alternative. */
  name: string;
  /** The dialog's accessible name. */
  label: string;
  closeLabel: string;
  onClose(): void;
  /** The image did not load (an expired URL: the caller asks for a fresh one). */
  onError(): void;
}

export function ImageViewer({ url, name, label, closeLabel, onClose, onError }: ImageViewerProps) {
  const dialog = useRef<HTMLDivElement>(null);
  const close = useRef<HTMLButtonElement>(null);
  const madeInert = useRef<Element[]>([]);
  /** The rest of the widget comes back before the opener takes the focus again. */
  const closeNow = () => {
    for (const el of madeInert.current.splice(0)) el.removeAttribute('inert');
    onClose();
  };
  useEffect(() => {
    close.current?.focus();
    // Modal: everything else of the widget is inert while the viewer is open (no focus, no clicks,
    // hidden from assistive technology), and comes back as it was on close.
    const made = madeInert.current;
    for (let el: Element | null = dialog.current; el?.parentElement; el = el.parentElement) {
      for (const sibling of el.parentElement.children) {
        if (sibling !== el && !sibling.hasAttribute('inert')) {
          sibling.setAttribute('inert', '');
          made.push(sibling);
        }
      }
    }
    const root = dialog.current?.getRootNode();
    if (root instanceof ShadowRoot) {
      let top: Element | null = dialog.current;
      while (top?.parentElement) top = top.parentElement;
      for (const child of root.children) {
        if (child !== top && !child.hasAttribute('inert') && child.tagName !== 'STYLE') {
          child.setAttribute('inert', '');
          made.push(child);
        }
      }
    }
    // Escape closes it wherever the focus went (the page around the widget, say).
    const escape = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      closeNow();
    };
    window.addEventListener('keydown', escape);
    return () => {
      window.removeEventListener('keydown', escape);
      for (const el of made.splice(0)) el.removeAttribute('inert');
    };
    // oxlint-disable-next-line react-hooks/exhaustive-deps -- set up once per opening
  }, []);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== 'Tab' || !dialog.current) return;
    // Focus stays inside: Tab and Shift+Tab wrap around the viewer's controls.
    const controls = [...dialog.current.querySelectorAll<HTMLElement>('button, a[href]')];
    const first = controls[0];
    const last = controls.at(-1);
    const active = (dialog.current.getRootNode() as ShadowRoot | Document).activeElement;
    if (!first || !last) return;
    if (e.shiftKey && (active === first || !dialog.current.contains(active))) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (active === last || !dialog.current.contains(active))) {
      e.preventDefault();
      first.focus();
    }
  };

  return (
    <div
      class="viewer"
      role="dialog"
      aria-modal="true"
      aria-label={label}
      ref={dialog}
      onKeyDown={onKeyDown}
      onClick={(e) => e.target === e.currentTarget && closeNow()}
    >
      <button type="button" class="viewer-close" ref={close} aria-label={closeLabel} onClick={closeNow}>
        ×
      </button>
      <img src={url} alt={name} onError={onError} />
    </div>
  );
}
