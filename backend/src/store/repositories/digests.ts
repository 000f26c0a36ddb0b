import type { DigestCandidate, MessageRecord } from '../records.js';

/** What the e-mail digests need: who has messages waiting, which, and who sends their digest. */
export interface DigestsRepository {
  /**
   * Users with a confirmed e-mail address and digests on who have messages from others, unread, stored
   * before `cutoff` and after their `digestUpTo`; only users whose `digestUpTo` is before `since`.
   */
  digestCandidates(cutoff: Date, since: Date, limit: number): Promise<DigestCandidate[]>;
  /** The newest of those waiting messages of one user, newest first. */
  waitingMessages(userId: string, cutoff: Date, limit: number): Promise<MessageRecord[]>;
  /**
   * Moves the user's `digestUpTo` from `previous` to `upTo`, only if nobody else did (another
   * node sending the same digest): true when this caller won.
   */
  claimDigest(userId: string, previous: Date | null, upTo: Date | null): Promise<boolean>;
}
