/** The protocol's smallest shapes, which every other part uses (re-exported by ./index.ts). */
import type { ErrorCode } from './constants.js';

export interface ErrorBody {
  code: ErrorCode;
  message: string;
}

/** What every acknowledgement and API response carries. */
export type Result<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };

export type Ack<T> = (result: Result<T>) => void;

export interface UserSummary {
  id: string;
  username: string;
  displayName: string;
  avatarUrl: string | null;
}
