/**
 * The call chunk's words, en and zh-CN. They live here, not in i18n.ts, because i18n.ts is part of
 * parley.js (the launcher's label), which must not grow for calls.
 */
const en = {
  callWith: 'Call with {name}',
  incomingVoice: '{name} is calling you (voice)',
  incomingVideo: '{name} is calling you (video)',
  incomingFile: '{name} is sending you {file} directly',
  acceptCall: 'Accept',
  declineCall: 'Decline',
  hangUp: 'Hang up',
  mute: 'Mute',
  cameraOff: 'Camera off',
  calling: 'Calling…',
  callConnecting: 'Connecting…',
  callConnected: 'Connected',
  callReconnecting: 'Reconnecting…',
  callFailed: 'Connection failed',
  callEnded: 'Call ended',
  callDeclined: 'Declined',
  callNoAnswer: 'No answer',
  callCancelled: 'Call cancelled',
  callUnavailable: '{name} is unavailable',
  callBusy: '{name} is in another call',
  callRefused: 'You cannot call {name}',
  callLost: 'The other side disconnected',
  callProblem: 'The call failed: {reason}',
  callMediaDenied: 'The camera or microphone is blocked: allow it in your browser to call.',
  close: 'Close',
  localVideo: 'Your camera',
  remoteVideo: 'Video of {name}',
  voiceCallWith: 'Voice call with {name}',
  sendingDirect: 'Sending {file} to {name} directly',
  receivingDirect: '{file} from {name}, sent directly',
  sentDirect: 'Sent directly; the server kept no copy.',
  directFallback: 'No direct link ({reason}): sending it through the server instead.',
  directFailed: 'The direct transfer failed: {reason}',
  receivedDirect: 'Received and checked (SHA-256). Save it:',
  dismiss: 'Dismiss',
};
export type CallStringKey = keyof typeof en;
const zh: Record<CallStringKey, string> = {
  callWith: '与 {name} 通话',
  incomingVoice: '{name} 邀请你语音通话',
  incomingVideo: '{name} 邀请你视频通话',
  incomingFile: '{name} 正在直接发送 {file} 给你',
  acceptCall: '接听',
  declineCall: '拒绝',
  hangUp: '挂断',
  mute: '静音',
  cameraOff: '关闭摄像头',
  calling: '正在呼叫…',
  callConnecting: '正在连接…',
  callConnected: '已连接',
  callReconnecting: '正在重新连接…',
  callFailed: '连接失败',
  callEnded: '通话已结束',
  callDeclined: '对方已拒绝',
  callNoAnswer: '无人接听',
  callCancelled: '通话已取消',
  callUnavailable: '{name} 当前无法接听',
  callBusy: '{name} 正在通话中',
  callRefused: '你无法呼叫 {name}',
  callLost: '对方已断开',
  callProblem: '通话失败：{reason}',
  callMediaDenied: '摄像头或麦克风已被阻止：请在浏览器中允许后再通话。',
  close: '关闭',
  localVideo: '你的摄像头',
  remoteVideo: '{name} 的视频',
  voiceCallWith: '与 {name} 语音通话',
  sendingDirect: '正在直接发送 {file} 给 {name}',
  receivingDirect: '来自 {name} 的 {file}（直接发送）',
  sentDirect: '已直接发送，服务器未保存副本。',
  directFallback: '无法直连（{reason}）：改为通过服务器发送。',
  directFailed: '直接传输失败：{reason}',
  receivedDirect: '已接收并校验（SHA-256）。保存：',
  dismiss: '关闭',
};

export type CallTranslate = (key: CallStringKey, params?: Record<string, string | number>) => string;

export function callTranslator(locale: string): CallTranslate {
  const table = locale === 'zh-CN' ? zh : en;
  return (key, params) => {
    const text = table[key] ?? en[key];
    return params ? text.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? '')) : text;
  };
}
