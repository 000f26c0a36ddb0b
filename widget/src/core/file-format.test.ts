import { describe, expect, it } from 'vitest';
import { fileLabel, formatBytes, formatDuration, mediaOf, thumbBox } from './file-format.js';

describe('formatBytes', () => {
  it('picks the unit and keeps one decimal only below ten', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1,023 B');
    expect(formatBytes(1024)).toBe('1 KB');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(120 * 1024 + 300)).toBe('120 KB');
    expect(formatBytes(10 * 1024 * 1024)).toBe('10 MB');
    expect(formatBytes(2.5 * 1024 * 1024)).toBe('2.5 MB');
    expect(formatBytes(3 * 1024 ** 4)).toBe('3,072 GB');
  });
  it('says nothing of a size that is not one', () => {
    expect(formatBytes(-1)).toBe('');
    expect(formatBytes(Number.NaN)).toBe('');
  });
});

describe('formatDuration', () => {
  it('shows minutes and seconds, rounded down', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(4_200)).toBe('0:04');
    expect(formatDuration(59_999)).toBe('0:59');
    expect(formatDuration(60_000)).toBe('1:00');
    expect(formatDuration(5 * 60_000)).toBe('5:00');
    expect(formatDuration(3_600_000 + 65_000)).toBe('1:01:05');
  });
  it('shows nothing for an unknown length, never "Infinity" (MediaRecorder WebM in Chromium)', () => {
    expect(formatDuration(Infinity)).toBe('');
    expect(formatDuration(Number.NaN)).toBe('');
    expect(formatDuration(undefined)).toBe('');
  });
});

describe('mediaOf and fileLabel', () => {
  it('guesses the media from the declared type', () => {
    expect(mediaOf('image/png')).toBe('image');
    expect(mediaOf('image/svg+xml')).toBe('file'); // never shown inline
    expect(mediaOf('audio/webm;codecs=opus')).toBe('audio');
    expect(mediaOf('video/mp4')).toBe('video');
    expect(mediaOf('')).toBe('file');
  });
  it('labels a file by its extension, else its type', () => {
    expect(fileLabel('application/pdf', 'a.pdf')).toBe('PDF');
    expect(fileLabel('application/octet-stream', 'report.Docx')).toBe('DOCX');
    expect(fileLabel('application/zip', 'archive')).toBe('ZIP');
    expect(fileLabel('application/octet-stream', 'x.verylong')).toBe('FILE');
    expect(fileLabel('', 'README')).toBe('FILE');
  });
});

describe('thumbBox', () => {
  it('fits the stored size into 220×200 keeping its shape, never enlarging', () => {
    expect(thumbBox({ width: 640, height: 480 })).toEqual({ width: 220, height: 165 });
    expect(thumbBox({ width: 480, height: 640 })).toEqual({ width: 150, height: 200 });
    expect(thumbBox({ width: 100, height: 50 })).toEqual({ width: 100, height: 50 });
    expect(thumbBox({ width: 4000, height: 20 })).toEqual({ width: 220, height: 40 }); // a sliver stays clickable
  });
  it('reserves a default box when the size is unknown', () => {
    expect(thumbBox({})).toEqual({ width: 160, height: 120 });
    expect(thumbBox({ width: 0, height: 10 })).toEqual({ width: 160, height: 120 });
  });
});
