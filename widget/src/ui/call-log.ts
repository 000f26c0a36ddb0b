import type { CallLog } from '@parley/backend/protocol';
import { formatDuration } from '../core/file-format.js';

/**
 * The words of a call-log message (conversation, previews, notifications). Kept out of i18n.ts,
 * which parley.js carries: the boot script must not grow for calls.
 */
const words = {
  en: {
    audio: 'Voice call',
    video: 'Video call',
    missed: 'Missed {media}',
    declined: 'Declined call',
    failed: '{media} · failed',
    audioLower: 'voice call',
    videoLower: 'video call',
    sendDirect: 'Send a file directly (peer to peer)',
    callsUnavailable: 'Calls could not be loaded. Try again.',
  },
  'zh-CN': {
    audio: '语音通话',
    video: '视频通话',
    missed: '未接{media}',
    declined: '已拒绝的通话',
    failed: '{media} · 失败',
    audioLower: '语音通话',
    videoLower: '视频通话',
    sendDirect: '直接发送文件（点对点）',
    callsUnavailable: '无法加载通话功能，请重试。',
  },
  ar: {
    audio: 'مكالمة صوتية',
    video: 'مكالمة فيديو',
    missed: '{media} فائتة',
    declined: 'مكالمة مرفوضة',
    failed: '{media} · فشلت',
    audioLower: 'مكالمة صوتية',
    videoLower: 'مكالمة فيديو',
    sendDirect: 'إرسال ملف مباشرة (من جهاز إلى جهاز)',
    callsUnavailable: 'تعذّر تحميل المكالمات. حاول مرة أخرى.',
  },
};

/** The call words in `locale` (the chat header's buttons use them too). */
export const callWords = (locale: string) => (locale === 'zh-CN' || locale === 'ar' ? words[locale] : words.en);

/** "Video call · 1:23", "Missed voice call", "Declined call", "Voice call · failed". */
export function callLogText(call: CallLog, locale: string): string {
  const w = callWords(locale);
  const media = call.media === 'video' ? 'video' : 'audio';
  switch (call.outcome) {
    case 'completed': {
      const duration = formatDuration(call.durationMs ?? 0);
      return `${w[media]} · ${duration}`;
    }
    case 'missed':
      return w.missed.replace('{media}', w[`${media}Lower`]);
    case 'declined':
      return w.declined;
    default:
      return w.failed.replace('{media}', w[media]);
  }
}

/** The icon before a call-log line. */
export const callLogIcon = (call: CallLog) =>
  call.outcome === 'completed' ? (call.media === 'video' ? '📹' : '📞') : '📵';
