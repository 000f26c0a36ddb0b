import { describe, expect, it } from 'vitest';
import { translator } from '../i18n.js';
import { contentPreview } from './content-preview.js';

const t = translator('en');
const file = { id: 'f', size: 1, mime: 'application/octet-stream', media: 'file' as const };

describe('contentPreview (recent list, notifications)', () => {
  it('says what a file message holds', () => {
    expect(contentPreview({ kind: 'file', file: { ...file, name: 'a.png', media: 'image' } }, t)).toBe('📷 Photo');
    expect(
      contentPreview(
        { kind: 'file', file: { ...file, name: 'v.webm', media: 'audio', voice: true, durationMs: 4200 } },
        t,
      ),
    ).toBe('🎤 Voice message 0:04');
    expect(contentPreview({ kind: 'file', file: { ...file, name: 'report.pdf' } }, t)).toBe('📎 report.pdf');
    expect(contentPreview({ kind: 'file', file: { ...file, name: 'a.png', media: 'image' }, text: 'look' }, t)).toBe(
      '📷 Photo look',
    );
  });
  it('keeps text as text, and names a kind it does not know', () => {
    expect(contentPreview({ kind: 'text', text: '<b>hi</b>' }, t)).toBe('<b>hi</b>');
    expect(contentPreview({ kind: 'poll' } as never, t)).toBe(t('unsupportedMessage'));
    expect(translator('zh-CN')('voicePreview', { duration: '0:04' })).toBe('🎤 语音消息 0:04');
  });
});
