import { fileTypeFromBuffer } from 'file-type';
import sharp, { type Metadata } from 'sharp';
import { ErrorCode, Limits, type FileMedia } from '../../protocol/index.js';
import { ParleyError } from '../../errors.js';

/** What an upload declared besides its bytes (from its tus metadata, already cleaned). */
export interface UploadHints {
  /** Recorded as a voice message in the widget. */
  voice: boolean;
  /** The length the recorder measured (audio only). */
  durationMs: number | null;
}

/** What is stored of an upload: the bytes to keep, what they are, and a thumbnail for images. */
export interface InspectedFile {
  mime: string;
  media: FileMedia;
  bytes: Buffer;
  thumb: Buffer | null;
  width: number | null;
  height: number | null;
  durationMs: number | null;
}

/** Images re-encoded in their own format; sharp decodes and writes each of them. */
const IMAGE_FORMATS: Record<string, 'jpeg' | 'png' | 'webp' | 'gif' | 'avif'> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/avif': 'avif',
};

/**
 * Documents served with their own type (always as a download): formats that no browser renders
 * as a page. Anything else unrecognised is `application/octet-stream`.
 */
const DOCUMENT_TYPES = new Set([
  'application/pdf',
  'application/zip',
  'application/gzip',
  'application/x-7z-compressed',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation',
]);

/** Audio and video the widget may play; other audio/video types are stored as plain files. */
const PLAYABLE = new Set([
  'audio/mpeg',
  'audio/ogg',
  'audio/opus',
  'audio/wav',
  'audio/x-wav',
  'audio/aac',
  'audio/mp4',
  'audio/x-m4a',
  'audio/flac',
  'audio/x-flac',
  'audio/webm',
  'video/mp4',
  'video/webm',
  'video/ogg',
  'video/quicktime',
]);

const THUMB_PX = 320;

const unsupported = (message: string, cause?: unknown) =>
  new ParleyError(ErrorCode.UnsupportedFile, message, { cause });

/**
 * Decides what an upload is from its bytes alone (never its name or declared type) and makes it
 * safe to serve: images are checked against the pixel cap from their header before anything is
 * decoded, then re-encoded (which drops metadata and anything appended to the image) and
 * thumbnailed; a recording from MediaRecorder (WebM, detected as video) marked as voice is audio.
 * Throws `unsupported_file` for images that are too large or cannot be decoded.
 */
export async function inspectFile(bytes: Buffer, hints: UploadHints): Promise<InspectedFile> {
  const detected = await fileTypeFromBuffer(bytes);
  const mime = detected?.mime ?? 'application/octet-stream';
  const format = IMAGE_FORMATS[mime];
  if (format) return image(bytes, mime, format);
  const plain = { bytes, thumb: null, width: null, height: null, durationMs: null };
  if (hints.voice && (mime === 'video/webm' || mime === 'audio/webm')) {
    return { ...plain, mime: 'audio/webm', media: 'audio', durationMs: hints.durationMs };
  }
  if (hints.voice && mime === 'audio/ogg') {
    return { ...plain, mime, media: 'audio', durationMs: hints.durationMs };
  }
  if (PLAYABLE.has(mime)) {
    const audio = mime.startsWith('audio/');
    return { ...plain, mime, media: audio ? 'audio' : 'video', durationMs: audio ? hints.durationMs : null };
  }
  if (DOCUMENT_TYPES.has(mime)) return { ...plain, mime, media: 'file' };
  return { ...plain, mime: 'application/octet-stream', media: 'file' };
}

async function image(bytes: Buffer, mime: string, format: (typeof IMAGE_FORMATS)[string]): Promise<InspectedFile> {
  const animated = format === 'gif' || format === 'webp';
  let header: Metadata;
  try {
    // Reads the header only: nothing is decoded yet.
    header = await sharp(bytes, { animated, limitInputPixels: false }).metadata();
  } catch (err) {
    throw unsupported('The image cannot be read.', err);
  }
  const width = header.width ?? 0;
  const frameHeight = header.pageHeight ?? header.height ?? 0;
  const frames = animated ? Math.max(1, header.pages ?? 1) : 1;
  if (width <= 0 || frameHeight <= 0) throw unsupported('The image has no size.');
  if (width * frameHeight > Limits.imagePixels || width * frameHeight * frames > Limits.imagePixels) {
    throw unsupported(`The image is too large: at most ${Limits.imagePixels / 1_000_000} megapixels.`);
  }
  // The cap again as libvips' own limit, in case the header lied about the size.
  const input = () => sharp(bytes, { animated, limitInputPixels: Limits.imagePixels, failOn: 'error' }).autoOrient();
  try {
    const encoded = input();
    switch (format) {
      case 'jpeg':
        encoded.jpeg({ quality: 85, mozjpeg: true });
        break;
      case 'png':
        encoded.png();
        break;
      case 'webp':
        encoded.webp({ quality: 85 });
        break;
      case 'gif':
        encoded.gif();
        break;
      case 'avif':
        encoded.avif({ quality: 60 });
        break;
    }
    // No keepMetadata(): EXIF (location, camera), ICC and XMP are dropped.
    const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
    const thumb = await input()
      .resize(THUMB_PX, THUMB_PX, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 75 })
      .toBuffer();
    return {
      mime,
      media: 'image',
      bytes: data,
      thumb,
      width: info.width,
      height: info.pageHeight ?? info.height,
      durationMs: null,
    };
  } catch (err) {
    throw unsupported('The image cannot be decoded.', err);
  }
}
