import type { CallKind, TransferOffer } from '../../protocol/index.js';

/** A call the server is signalling: who, which devices, and how far it got. Never stored. */
export interface CallRecord {
  id: string;
  siteId: string;
  callerId: string;
  calleeId: string;
  kind: CallKind;
  transfer?: TransferOffer;
  /** The connection that invited: signalling goes only to and from it. */
  callerConnection: string;
  /** The callee's connections that ring (every device open when the call was made). */
  ringing: string[];
  /** The callee connection that accepted; null while it rings. */
  calleeConnection: string | null;
  startedAt: number;
  answeredAt: number | null;
}

/** Why an invitation cannot be placed. */
export type AddRefusal = 'caller_busy' | 'callee_busy';

/**
 * The calls in progress, behind an interface so that a cluster can keep them where every node sees
 * them. Each transition is one step that either happens or reports why not, so two devices racing
 * (two accepts, an accept and a hang-up) end with exactly one winner.
 */
export interface CallRegistry {
  /**
   * Adds a ringing call unless a party is busy: for voice and video, a user is busy while in any
   * voice or video call (ringing or answered); direct transfers are capped per user at `maxTransfers`.
   */
  add(call: CallRecord, maxTransfers: number): Promise<AddRefusal | null>;
  get(callId: string): Promise<CallRecord | null>;
  /** Ringing → answered on `connection`; null if it no longer rings (answered elsewhere, ended). */
  accept(callId: string, connection: string, at: number): Promise<CallRecord | null>;
  /**
   * Removes the call if it is in `state` (`any`: whatever its state) and returns it; null if
   * someone else ended it first (so each end is announced and logged once).
   */
  remove(callId: string, state: 'ringing' | 'answered' | 'any'): Promise<CallRecord | null>;
  /** The calls a connection is part of: as the caller's or the answering device, or ringing. */
  ofConnection(connectionId: string): Promise<string[]>;
}

/** One node's calls, in memory (cluster mode keeps them in Redis: cluster/redis-call-registry.ts). */
export class LocalCallRegistry implements CallRegistry {
  private readonly calls = new Map<string, CallRecord>();
  private readonly byUser = new Map<string, Set<string>>();
  private readonly byConnection = new Map<string, Set<string>>();

  async add(call: CallRecord, maxTransfers: number): Promise<AddRefusal | null> {
    const count = (userId: string) => {
      const kinds = [...(this.byUser.get(userId) ?? [])].map((id) => this.calls.get(id)!.kind);
      return call.kind === 'data'
        ? kinds.filter((k) => k === 'data').length >= maxTransfers
        : kinds.some((k) => k !== 'data');
    };
    if (count(call.callerId)) return 'caller_busy';
    if (count(call.calleeId)) return 'callee_busy';
    const record = { ...call, ringing: [...call.ringing] };
    this.calls.set(call.id, record);
    for (const user of [call.callerId, call.calleeId]) index(this.byUser, user).add(call.id);
    for (const connection of [call.callerConnection, ...call.ringing])
      index(this.byConnection, connection).add(call.id);
    return null;
  }

  async get(callId: string): Promise<CallRecord | null> {
    const call = this.calls.get(callId);
    return call ? { ...call, ringing: [...call.ringing] } : null;
  }

  async accept(callId: string, connection: string, at: number): Promise<CallRecord | null> {
    const call = this.calls.get(callId);
    if (!call || call.calleeConnection !== null) return null;
    call.calleeConnection = connection;
    call.answeredAt = at;
    index(this.byConnection, connection).add(callId);
    return { ...call, ringing: [...call.ringing] };
  }

  async remove(callId: string, state: 'ringing' | 'answered' | 'any'): Promise<CallRecord | null> {
    const call = this.calls.get(callId);
    if (!call) return null;
    const answered = call.calleeConnection !== null;
    if ((state === 'ringing' && answered) || (state === 'answered' && !answered)) return null;
    this.calls.delete(callId);
    for (const user of [call.callerId, call.calleeId]) unindex(this.byUser, user, callId);
    for (const connection of [call.callerConnection, ...call.ringing, call.calleeConnection]) {
      if (connection !== null) unindex(this.byConnection, connection, callId);
    }
    return call;
  }

  async ofConnection(connectionId: string): Promise<string[]> {
    return [...(this.byConnection.get(connectionId) ?? [])];
  }
}

function index(map: Map<string, Set<string>>, key: string): Set<string> {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  return set;
}

function unindex(map: Map<string, Set<string>>, key: string, callId: string): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(callId);
  if (set.size === 0) map.delete(key);
}
