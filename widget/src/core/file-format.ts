import type { FileMedia } from '@parley/backend/protocol';

/**
 * Sizes and lengths as people read them, and what kind of media a local file looks like before the
 * server has looked at its bytes. Pure: no DOM, so the unit tests run it as is.
 */

const UNITS = ['B', 'KB', 'MB', 'GB'] as const;

/** 1 KB = 1024 bytes; one decimal below 10 of a unit ("2.5 MB"), none above ("120 KB"). */
export function formatBytes(bytes: number, locale = 'en'): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  const shown = new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(value);
  return `${shown} ${UNITS[unit]}`;
}

/** "m:ss" (or "h:mm:ss"), rounded down to the second; "" for a length that is not known. */
export function formatDuration(ms: number | undefined | null): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms) || ms < 0) return '';
  const total = Math.floor(ms / 1000);
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600);
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** The kind of media a file's declared type suggests (the server decides from the bytes later). */
export function mediaOf(mime: string): FileMedia {
  if (/^image\/(png|jpeg|gif|webp)$/i.test(mime)) return 'image';
  if (/^audio\//i.test(mime)) return 'audio';
  if (/^video\//i.test(mime)) return 'video';
  return 'file';
}

/**
 * The short type label a file card's icon carries ("PDF", "ZIP", "DOCX"): the name's extension, up
 * to four letters, else a word from the declared type, else "FILE". Text, not an emoji: it reads
 * the same in every font.
 */
export function fileLabel(mime: string, name: string): string {
  const ext = /\.([a-z0-9]{1,4})$/i.exec(name)?.[1];
  if (ext) return ext.toUpperCase();
  const subtype = /^[a-z]+\/([a-z0-9]{1,4})$/i.exec(mime)?.[1];
  if (subtype && subtype !== 'octet') return subtype.toUpperCase();
  return 'FILE';
}

const THUMB = { width: 220, height: 200 };

/**
 * The box a thumbnail takes before it loads, from the stored image's size, so the message list
 * does not jump when it arrives: scaled down to fit 220×200, never up; 160×120 when unknown.
 */
export function thumbBox(file: { width?: number; height?: number }): { width: number; height: number } {
  const { width, height } = file;
  if (!width || !height || width < 0 || height < 0) return { width: 160, height: 120 };
  const scale = Math.min(1, THUMB.width / width, THUMB.height / height);
  return { width: Math.max(40, Math.round(width * scale)), height: Math.max(40, Math.round(height * scale)) };
}
