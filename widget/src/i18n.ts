import { resolveLocale } from './locale.js';
import { ar } from './locales/ar.js';
import { zh } from './locales/zh.js';

/** Every string the widget shows, per locale. English is complete; others fall back to it. */
const en = {
  openChat: 'Open chat',
  openChatUnread: 'Open chat, {n} unread',
  closeChat: 'Close chat',
  title: 'Chat',
  signInTitle: 'Sign in to chat',
  signUpTitle: 'Create an account',
  username: 'Username',
  password: 'Password',
  displayName: 'Display name (optional)',
  signIn: 'Sign in',
  signUp: 'Sign up',
  signingIn: 'Signing in…',
  haveAccount: 'I have an account',
  noAccount: 'Create an account',
  signOut: 'Sign out',
  buddies: 'Buddies',
  chats: 'Chats',
  noBuddies: 'No buddies yet. Add someone below.',
  noChats: 'No conversations yet.',
  filter: 'Filter buddies',
  online: 'Online',
  offline: 'Offline',
  away: 'Away',
  busy: 'Busy',
  invisible: 'Invisible',
  lastSeen: 'Last seen {when}',
  requests: 'Requests',
  wantsToBeBuddies: 'wants to be your buddy',
  waitingForAnswer: 'Request sent',
  accept: 'Accept',
  decline: 'Decline',
  cancelRequest: 'Cancel request',
  addBuddy: 'Add a buddy',
  searchPeople: 'Search people',
  search: 'Search',
  noResults: 'Nobody found.',
  add: 'Add',
  added: 'Request sent',
  ungrouped: 'Other',
  back: 'Back',
  messageTo: 'Message to {name}',
  send: 'Send',
  emoji: 'Insert emoji',
  pending: 'Sending…',
  failed: 'Not sent: {reason}',
  retry: 'Retry',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  typing: '{name} is typing…',
  typingSeveral: '{names} are typing…',
  seenBy: 'Seen by {names}',
  connecting: 'Connecting…',
  offlineBanner: 'Offline. Messages will be sent when the connection is back.',
  noMessages: 'No messages yet. Say hello!',
  unsupportedMessage: 'A message this version of the chat cannot show.',
  loadingOlder: 'Loading older messages…',
  // Search in a conversation, and jumping to a message (SearchBar, ChatView).
  searchMessages: 'Search messages',
  closeSearch: 'Close search',
  searching: 'Searching…',
  searchFailed: 'The search did not work. Try again.',
  noMessagesFound: 'No messages found',
  resultsFound: 'Found: {n}',
  searchResults: 'Search results',
  moreResults: 'More results',
  youSender: 'You',
  jumpToLatest: 'Jump to latest',
  jumpToLatestNew: 'Jump to latest ({n} new)',
  loadingNewer: 'Loading newer messages…',
  findingMessage: 'Finding the message…',
  messageGone: 'That message is no longer there.',
  jumpFailed: 'Could not show that message. Try again.',
  today: 'Today',
  yesterday: 'Yesterday',
  unread: '{n} unread',
  messages: 'Messages with {name}',
  you: 'You: {text}',
  status: 'Your status',
  statusText: 'Status message',
  save: 'Save',
  settings: 'Settings',
  sound: 'Play a sound for new messages',
  notifications: 'Desktop notifications when this tab is hidden',
  openSideBySide: 'Keep open beside the panel',
  closeWindow: 'Close chat with {name}',
  newMessageFrom: 'New message from {name}',
  menu: 'Status and settings',
  rooms: 'Rooms',
  roomName: 'Room name',
  createRoom: 'Create',
  publicRoom: 'Anyone on the site can find and join it',
  findRooms: 'Find public rooms',
  join: 'Join',
  memberCount: '{n} members',
  invitations: 'Invitations',
  invitedToRoom: 'invited you to this room',
  members: 'Members',
  onlineOf: '{n} of {total} online',
  owner: 'owner',
  admin: 'admin',
  member: 'member',
  invited: 'invited',
  remove: 'Remove',
  makeAdmin: 'Make admin',
  unmakeAdmin: 'Not admin',
  inviteBuddy: 'Invite a buddy',
  invite: 'Invite',
  rename: 'Rename',
  leaveRoom: 'Leave room',
  closeRoom: 'Close room for everyone',
  mentionedYou: '@ you',
  mentionIn: '{name} mentioned you in {room}',
  email: 'E-mail',
  emailAddress: 'E-mail address',
  emailDigests: 'E-mail me when messages wait unread',
  saved: 'Saved',
  saveEmail: 'Update e-mail settings',
  emailConfirmed: 'Address confirmed.',
  emailUnconfirmed: 'Waiting for confirmation: follow the link in the e-mail we sent. No e-mails until then.',
  resendConfirmation: 'Send again',
  confirmationSent: 'Sent. Check your inbox.',
  profile: 'Profile',
  yourName: 'Display name',
  avatarUrl: 'Picture (https:// address)',
  saveProfile: 'Update profile',
  buddyOptions: 'Options',
  group: 'Group',
  moveToGroup: 'Move',
  removeBuddy: 'Remove buddy',
  confirmRemoveBuddy: 'Remove {name}? Click again',
  block: 'Block',
  confirmBlock: 'Block {name}? Click again',
  blocked: 'Blocked',
  unblock: 'Unblock',
  attachFile: 'Attach a file',
  dropFiles: 'Drop files here to send them to {name}',
  uploading: 'Uploading {name}',
  cancel: 'Cancel',
  uploadFailed: '{name} was not sent: {reason}',
  fileTooLarge: 'the file is larger than {max}, the most you can send.',
  fileEmpty: 'the file is empty.',
  uploadUnreachable: 'the chat server cannot be reached. Try again.',
  uploadRefused: 'the server did not accept it.',
  photo: '📷 Photo',
  voicePreview: '🎤 Voice message {duration}',
  filePreview: '📎 {name}',
  openImage: 'Open image {name}',
  imageViewer: 'Image {name}',
  close: 'Close',
  playVoice: 'Play voice message',
  playAudio: 'Play {name}',
  pause: 'Pause',
  playback: 'Played',
  download: 'Download {name}',
  loadFailed: 'Could not load the file.',
  loadAgain: 'Try again',
  recordVoice: 'Record a voice message (hold to talk)',
  stopAndSend: 'Stop and send the voice message',
  cancelRecording: 'Discard the recording',
  recording: 'Recording',
  micDenied: 'The microphone is blocked. Allow it in your browser to record voice messages.',
  micUnavailable: 'Voice messages cannot be recorded in this browser.',
  messageActions: 'Message actions',
  react: 'React',
  reactWith: 'React with {emoji}',
  reply: 'Reply',
  edit: 'Edit',
  deleteForEveryone: 'Delete for everyone',
  confirmDeleteForEveryone: 'Delete for everyone? Click again',
  deleteForMe: 'Delete for me',
  copyText: 'Copy text',
  messageDeleted: 'Message deleted',
  edited: 'edited',
  editedAt: 'Edited {time}',
  earlierTexts: 'Earlier versions',
  noEarlierTexts: 'No earlier versions.',
  editing: 'Editing message',
  cancelEditing: 'Cancel editing',
  replyingTo: 'Replying to {name}',
  cancelReply: 'Cancel reply',
  showOriginal: 'Show the quoted message',
  reactions: 'Reactions',
  reactionBy: '{emoji} {n}: {names}',
  youName: 'You',
  editTooLate: 'This message can no longer be edited: the time for edits has passed.',
  changeFailed: 'The message was not changed: {reason}',
  voiceMessage: '🎤 Voice message',
  actionUnsigned: 'This needs the site’s permission, and this page does not ask for it. Tell the site’s owner.',
  actionDenied: 'The site did not allow this.',
  actionDeniedBecause: 'The site did not allow this: {reason}',
};
export type StringKey = keyof typeof en;

/** Chinese lives in locales/zh.ts; here the compiler checks that it has every key. */
const chinese: Record<StringKey, string> = zh;

/** Arabic lives in locales/ar.ts; here the compiler checks that it has every key. */
const arabic: Record<StringKey, string> = ar;

/**
 * A Map, not an object: a locale named `constructor` or `__proto__` must not find Object's members.
 * Its keys are locale.ts's SUPPORTED_LOCALES. The tables load with the core and panel chunks;
 * parley.js carries only the launcher's words (boot/launcher-words.ts).
 */
const tables = new Map<string, Partial<Record<StringKey, string>>>([
  ['en', en],
  ['zh-CN', chinese],
  ['ar', arabic],
]);

export { resolveLocale, textDirection } from './locale.js';

export type Translate = ((key: StringKey, params?: Record<string, string | number>) => string) & { locale: string };

const cache = new Map<string, Translate>();

export function translator(locale: string): Translate {
  const resolved = resolveLocale(locale);
  let t = cache.get(resolved);
  if (!t) {
    const table = tables.get(resolved) ?? en;
    const numbers = new Intl.NumberFormat(resolved);
    t = Object.assign(
      (key: StringKey, params?: Record<string, string | number>) => {
        const text = table[key] ?? en[key];
        if (!params) return text;
        return text.replace(/\{(\w+)\}/g, (_, name: string) => {
          const value = params[name];
          // Counts in the locale's digits and grouping (١٢ in Arabic, 1,234 in English).
          return typeof value === 'number' ? numbers.format(value) : (value ?? '');
        });
      },
      { locale: resolved },
    );
    cache.set(resolved, t);
  }
  return t;
}
