/**
 * The protocol's constants: its version, the error codes and the limits both sides share. Plain values
 * with no imports, so the widget can load them at run time without anything else from the backend,
 * and ./schemas.ts can use the limits without importing ./index.ts (which imports its types).
 */

/**
 * Bumped on any incompatible change; the handshake refuses other versions with `protocol_version`.
 * 2: one set of events for every conversation (direct or room), message content as a union of kinds.
 */
export const PROTOCOL_VERSION = 2;

/** Every error a client can receive, in acks, HTTP bodies and handshake refusals. */
export const ErrorCode = {
  BadRequest: 'bad_request',
  Unauthorized: 'unauthorized',
  InvalidCredentials: 'invalid_credentials',
  Forbidden: 'forbidden',
  NotFound: 'not_found',
  OriginNotAllowed: 'origin_not_allowed',
  ProtocolVersion: 'protocol_version',
  RateLimited: 'rate_limited',
  TooLarge: 'too_large',
  Unavailable: 'unavailable',
  Internal: 'internal',
  RegistrationClosed: 'registration_closed',
  UsernameTaken: 'username_taken',
  IdentityInvalid: 'identity_invalid',
  IdentityExpired: 'identity_expired',
  IdentityWrongSite: 'identity_wrong_site',
  Blocked: 'blocked',
  RoomFull: 'room_full',
  LimitReached: 'limit_reached',
  /** A file whose contents cannot be accepted: an image too large in pixels, or one that does not decode. */
  UnsupportedFile: 'unsupported_file',
  /** The user's upload allowance for the day is used up. */
  QuotaExceeded: 'quota_exceeded',
  /** The callee has no device online: the call is logged as missed. */
  CalleeUnavailable: 'callee_unavailable',
  /** The callee (or the caller) is already in a call. */
  CalleeBusy: 'callee_busy',
  /** The message can no longer be edited: the site's edit window has passed. */
  TooLate: 'too_late',
  /** Server API: an `Idempotency-Key` used before with another request, or whose request is still running. */
  IdempotencyConflict: 'idempotency_conflict',
  /** The site requires a token its server signed for this action (`actionToken`), and none came. */
  ActionTokenRequired: 'action_token_required',
  /** The action token is malformed, not signed with the site's secret, or names another user, action or resource. */
  ActionTokenInvalid: 'action_token_invalid',
  /** The action token has expired (ask the page for a fresh one). */
  ActionTokenExpired: 'action_token_expired',
  /** The action token's `jti` was used before: each token is good for one request. */
  ActionTokenReplayed: 'action_token_replayed',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

// ---------------------------------------------------------------------------------------------
// Limits shared by both sides (the widget uses them to stop the user early, the server enforces).

export const Limits = {
  /** Characters of message text. */
  messageBody: 4000,
  /** Characters of a client-chosen message id. */
  clientId: 64,
  /** Entries per inbox:sync page. */
  syncPage: 500,
  /** Messages per message:history page. */
  historyPage: 100,
  usernameMax: 64,
  passwordMin: 8,
  passwordMax: 1024,
  displayNameMax: 64,
  statusText: 140,
  groupName: 64,
  avatarUrl: 512,
  searchQuery: 64,
  searchResults: 20,
  /** Characters of a host identity token. */
  identityToken: 4096,
  /** Characters of a signed action token (`actionToken`). */
  actionToken: 2048,
  roomName: 64,
  /** Members and open invitations of one room together. */
  roomMembers: 100,
  /** Users one room:create may invite at once. */
  roomInvites: 20,
  /** Rooms per room:list page: the default, and the most one page may ask for. */
  roomListPage: 20,
  roomListPageMax: 50,
  email: 254,
  /** Characters of a file name as stored and shown. */
  fileName: 200,
  /** Bytes of one file, unless the site sets its own limit (`maxFileBytes`). */
  fileBytesDefault: 10 * 1024 * 1024,
  /** Pixels of an image (width × height), read from its header before anything is decoded. */
  imagePixels: 40_000_000,
  /** Longest voice message the recorder makes, in milliseconds. */
  voiceMs: 5 * 60 * 1000,
  /** Characters of one SDP offer or answer. */
  sdp: 16_384,
  /** Characters of one ICE candidate line. */
  iceCandidate: 1024,
  /** How long a call rings before it is a missed call. */
  callRingMs: 45_000,
  /** Bytes of a file sent over a direct link (larger files go as uploads). */
  transferBytes: 100 * 1024 * 1024,
  /** Minutes after sending that a message may still be edited, unless the site sets its own. */
  editWindowMinutesDefault: 15,
  /** Characters of a quoted message kept with a reply. */
  replyExcerpt: 140,
  /** Earlier texts of one message kept for its sender. */
  messageEdits: 50,
  /** Results per message:search page: the default, and the most one page may ask for. */
  searchPage: 20,
  searchPageMax: 50,
  /** Characters of a message:search query. */
  messageSearchQuery: 100,
  /** Messages message:around returns on each side of the one asked for (at most). */
  aroundPageMax: 50,
} as const;

/**
 * The emoji a message can be reacted with (a small fixed set, as most messengers offer): the
 * server refuses any other, the widget shows them in this order.
 */
export const REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'] as const;
export type ReactionEmoji = (typeof REACTIONS)[number];
