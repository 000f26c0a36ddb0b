import { describe, expect, it } from 'vitest';
import { callLabel, fileLabel } from './digest-mailer.js';

describe('fileLabel (file messages in digest e-mails)', () => {
  const base = { id: 'f1', size: 10, mime: 'image/png' } as const;
  it('names the kind of file, with a voice message length as m:ss', () => {
    expect(fileLabel({ ...base, name: 'cat.png', media: 'image' })).toBe('[photo: cat.png]');
    expect(fileLabel({ ...base, name: 'a.pdf', mime: 'application/pdf', media: 'file' })).toBe('[file: a.pdf]');
    expect(
      fileLabel({ ...base, name: 'voice.webm', mime: 'audio/webm', media: 'audio', voice: true, durationMs: 64_400 }),
    ).toBe('[voice message 1:04]');
  });
  it('keeps a long or multi-line name to one short line', () => {
    const label = fileLabel({ ...base, name: `a\nb${'x'.repeat(200)}`, media: 'file' });
    expect(label).not.toContain('\n');
    expect(label.length).toBeLessThan(100);
  });
});

describe('callLabel (call-log messages in digest e-mails)', () => {
  it('names the call, its outcome and, when answered, its length', () => {
    expect(callLabel({ callId: 'c', media: 'video', outcome: 'completed', durationMs: 83_000 })).toBe(
      '[video call 1:23]',
    );
    expect(callLabel({ callId: 'c', media: 'audio', outcome: 'missed' })).toBe('[missed voice call]');
    expect(callLabel({ callId: 'c', media: 'audio', outcome: 'declined' })).toBe('[declined voice call]');
  });
});
