import { describe, expect, it } from 'vitest';
import { callLogText } from './call-log.js';
import { contentPreview } from './content-preview.js';
import { translator } from '../i18n.js';

describe('call-log lines', () => {
  it('says what happened, with the duration of completed calls', () => {
    expect(callLogText({ callId: 'c', media: 'video', outcome: 'completed', durationMs: 83_000 }, 'en')).toBe(
      'Video call · 1:23',
    );
    expect(callLogText({ callId: 'c', media: 'audio', outcome: 'missed' }, 'en')).toBe('Missed voice call');
    expect(callLogText({ callId: 'c', media: 'audio', outcome: 'declined' }, 'en')).toBe('Declined call');
    expect(callLogText({ callId: 'c', media: 'video', outcome: 'completed', durationMs: 3_725_000 }, 'zh-CN')).toBe(
      '视频通话 · 1:02:05',
    );
    expect(callLogText({ callId: 'c', media: 'video', outcome: 'missed' }, 'zh-CN')).toBe('未接视频通话');
  });

  it('previews a call log in the recent list and notifications', () => {
    const t = translator('en');
    expect(contentPreview({ kind: 'call', call: { callId: 'c', media: 'audio', outcome: 'missed' } }, t)).toBe(
      '📵 Missed voice call',
    );
  });
});
