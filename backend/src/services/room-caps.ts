import { ErrorCode } from '../protocol/index.js';
import { ParleyError } from '../errors.js';
import type { RoomCounts } from '../store/store.js';

/**
 * How many rooms and invitations one user may have (set from ROOMS_OWNED_MAX, ROOMS_HELD_MAX,
 * ROOM_INVITES_PENDING_MAX and ROOM_INVITES_SENT_MAX); over a cap the answer is `limit_reached`.
 * They bound what anyone, the user or strangers inviting them, can make a user's room:list hold.
 */
export interface RoomCaps {
  /** Open rooms a user may own, checked on create (a room handed over by a leaving owner may exceed it). */
  owned: number;
  /** Open rooms a user may be a member of, checked on create, join and accept. */
  held: number;
  /** Invitations that may wait for one user. */
  invitesPending: number;
  /** Invitations one user may have out, waiting for an answer. */
  invitesSent: number;
}

export const defaultRoomCaps: RoomCaps = { owned: 50, held: 200, invitesPending: 50, invitesSent: 100 };

export const NO_ROOMS: RoomCounts = { owned: 0, held: 0, invited: 0, invitesSent: 0 };

export const limitReached = (message: string) => new ParleyError(ErrorCode.LimitReached, message);

/** The user may be in one more room. */
export function assertMayHoldOneMore(caps: RoomCaps, counts: RoomCounts): void {
  if (counts.held >= caps.held) {
    throw limitReached(`You are in ${caps.held} rooms, the most one may. Leave one to join another.`);
  }
}

/** The inviter may send `invitees.length` more invitations, and each invitee may receive one more. */
export function assertInvitesLeft(
  caps: RoomCaps,
  inviter: RoomCounts,
  invitees: string[],
  counts: Map<string, RoomCounts>,
): void {
  if (invitees.length === 0) return;
  if (inviter.invitesSent + invitees.length > caps.invitesSent) {
    throw limitReached(
      `You may have at most ${caps.invitesSent} invitations waiting for an answer. Wait for answers, or withdraw some.`,
    );
  }
  if (invitees.some((id) => (counts.get(id)?.invited ?? 0) >= caps.invitesPending)) {
    throw limitReached(
      `${invitees.length === 1 ? 'This user has' : 'Someone you invited has'} ${caps.invitesPending} room invitations waiting already, the most one may have.`,
    );
  }
}
