import { randomUUID } from 'node:crypto';
import { ParleyError } from '../../errors.js';
import { timeOrderedId } from '../../ids.js';
import type { Logger } from '../../logger.js';
import {
  ErrorCode,
  type CallEndReason,
  type CallLog,
  type Payload,
  type ReplyData,
  type UserSummary,
} from '../../protocol/index.js';
import type { MessageRecord, Store, UserRecord } from '../../store/store.js';
import { toSummary } from '../../store/wire.js';
import type { InboxWriter } from '../inbox-writer.js';
import { directConversationId, type Messaging } from '../messaging.js';
import type { Notifier } from '../notifier.js';
import type { Relations } from '../relations.js';
import type { CallRecord, CallRegistry } from './call-registry.js';
import type { IceService } from './ice.js';

/** Direct transfers one user may have open at once (they do not make anyone busy for calls). */
const MAX_TRANSFERS = 4;

const noCall = () => new ParleyError(ErrorCode.NotFound, 'No such call.');

export interface CallsDeps {
  store: Store;
  relations: Relations;
  registry: CallRegistry;
  notify: Notifier;
  writer: InboxWriter;
  messaging: Messaging;
  ice: IceService;
  logger: Logger;
  /** How long a call rings before it is missed (CALL_RING_SECONDS). */
  ringMs: number;
  now?: () => number;
}

/**
 * Voice and video calls (and direct file transfers) between two mutual buddies: the server rings
 * the callee's devices, pairs the caller's device with the one that answers, relays their WebRTC
 * signalling between exactly those two connections (never stored), and writes one call-log message
 * into the conversation when a voice or video call ends. Media never passes through the server.
 *
 * Every end (decline, cancel, timeout, hang-up, a device going away) removes the call from the
 * registry first; only the step that removed it announces the end and writes the log, so two ends
 * racing each other are told and logged once.
 */
export class Calls {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly now: () => number;

  constructor(private readonly deps: CallsDeps) {
    this.now = deps.now ?? Date.now;
  }

  async invite(user: UserRecord, connection: string, input: Payload<'call:invite'>): Promise<ReplyData['call:invite']> {
    const { store, relations, registry, notify, ice, logger } = this.deps;
    if (input.to === user.id) throw new ParleyError(ErrorCode.BadRequest, 'You cannot call yourself.');
    const callee = await store.getUser(input.to);
    if (!callee || callee.siteId !== user.siteId) throw new ParleyError(ErrorCode.NotFound, 'No such user.');
    const { ab, ba } = await store.relation(user.id, callee.id);
    // The caller's own block is theirs to know; a block by the callee is never told to the
    // blocked (as with messages): to them it is the same refusal as calling a non-buddy.
    if (ab?.state === 'blocked') throw new ParleyError(ErrorCode.Blocked, 'You blocked this user.');
    if (ba?.state === 'blocked' || !(await relations.mutualBuddies(user.id)).has(callee.id)) {
      throw new ParleyError(ErrorCode.Forbidden, 'You can only call your buddies.');
    }
    const call: CallRecord = {
      id: randomUUID(),
      siteId: user.siteId,
      callerId: user.id,
      calleeId: callee.id,
      kind: input.kind,
      callerConnection: connection,
      ringing: [],
      calleeConnection: null,
      startedAt: this.now(),
      answeredAt: null,
    };
    if (input.kind === 'data') call.transfer = { ...input.transfer };
    call.ringing = await notify.connectionsOf(callee.id);
    if (call.ringing.length === 0) {
      await this.log(call, 'missed');
      throw new ParleyError(ErrorCode.CalleeUnavailable, `${callee.displayName} is not online.`);
    }
    const refused = await registry.add(call, MAX_TRANSFERS);
    if (refused) {
      throw new ParleyError(
        ErrorCode.CalleeBusy,
        refused === 'caller_busy' ? 'You are already in a call.' : `${callee.displayName} is in another call.`,
      );
    }
    this.timers.set(
      call.id,
      setTimeout(() => {
        this.timers.delete(call.id);
        this.endRinging(call.id, 'timeout').catch((err: unknown) =>
          logger.error({ err, call: call.id }, 'could not end an unanswered call'),
        );
      }, this.deps.ringMs).unref(),
    );
    const from: UserSummary = toSummary(user);
    notify.toConnections(call.ringing, 'call:incoming', {
      callId: call.id,
      from,
      kind: call.kind,
      ...(call.transfer ? { transfer: call.transfer } : {}),
      ice: ice.configFor(callee.id),
    });
    logger.debug({ call: call.id, user: user.id, callee: callee.id, kind: call.kind }, 'call ringing');
    return { callId: call.id, ice: ice.configFor(user.id) };
  }

  async answer(user: UserRecord, connection: string, input: Payload<'call:answer'>): Promise<ReplyData['call:answer']> {
    const { registry, notify, ice } = this.deps;
    const found = await registry.get(input.callId);
    if (!found || found.calleeId !== user.id) throw noCall();
    if (!input.accept) {
      const call = await registry.remove(input.callId, 'ringing');
      if (!call) throw noCall();
      this.stopTimer(call.id);
      notify.toConnections([call.callerConnection], 'call:ended', { callId: call.id, reason: 'declined' });
      notify.toConnections(
        call.ringing.filter((c) => c !== connection),
        'call:ended',
        { callId: call.id, reason: 'declined' },
      );
      await this.log(call, 'declined');
      return { ice: null };
    }
    const call = await registry.accept(input.callId, connection, this.now());
    if (!call) throw noCall();
    this.stopTimer(call.id);
    notify.toConnections([call.callerConnection], 'call:accepted', { callId: call.id });
    notify.toConnections(
      call.ringing.filter((c) => c !== connection),
      'call:ended',
      { callId: call.id, reason: 'answered_elsewhere' },
    );
    return { ice: ice.configFor(user.id) };
  }

  /**
   * Relays signalling between the two connections of an answered call, and only those: anyone
   * else (another device of a party included) is told the call does not exist.
   */
  async signal(user: UserRecord, connection: string, input: Payload<'call:signal'>): Promise<ReplyData['call:signal']> {
    const call = await this.deps.registry.get(input.callId);
    if (!call) throw noCall();
    let to: string | null;
    if (connection === call.callerConnection && user.id === call.callerId) to = call.calleeConnection;
    else if (connection === call.calleeConnection && user.id === call.calleeId) to = call.callerConnection;
    else throw noCall();
    if (to === null) throw new ParleyError(ErrorCode.BadRequest, 'The call has not been answered yet.');
    this.deps.notify.toConnections([to], 'call:signal', { callId: call.id, signal: input.signal });
    return {};
  }

  /**
   * Ends a call from either party, on any of their devices: the caller before an answer cancels it
   * (a missed call), the callee before an answer declines it, after an answer either hangs up.
   */
  async hangup(user: UserRecord, connection: string, input: Payload<'call:hangup'>): Promise<ReplyData['call:hangup']> {
    const found = await this.deps.registry.get(input.callId);
    if (!found || (found.callerId !== user.id && found.calleeId !== user.id)) throw noCall();
    if (found.calleeConnection === null) {
      if (user.id === found.calleeId) {
        await this.answer(user, connection, { callId: input.callId, accept: false });
        return {};
      }
      if (await this.endRinging(input.callId, 'cancelled', connection)) return {};
    }
    const call = await this.deps.registry.remove(input.callId, 'answered');
    if (!call) throw noCall();
    await this.endAnswered(call, 'hangup', connection, 'completed');
    return {};
  }

  /** Fresh ICE servers for the caller's device (TURN credentials expire). */
  ice(user: UserRecord): ReplyData['call:ice'] {
    return this.deps.ice.configFor(user.id);
  }

  /**
   * A connection closed: a call it was making ends as cancelled (ringing) or, answered, its other
   * device hears `disconnected` and the log says `failed` with how long it lasted. A ringing device
   * of the callee going away changes nothing (the others still ring).
   */
  async disconnected(connection: string): Promise<void> {
    for (const callId of await this.deps.registry.ofConnection(connection)) {
      const call = await this.deps.registry.get(callId);
      if (!call) continue;
      if (call.calleeConnection === null) {
        if (call.callerConnection === connection) await this.endRinging(callId, 'cancelled', connection);
        continue;
      }
      if (connection !== call.callerConnection && connection !== call.calleeConnection) continue;
      const removed = await this.deps.registry.remove(callId, 'answered');
      if (removed) await this.endAnswered(removed, 'disconnected', connection, 'failed');
    }
  }

  /** Stops the ring timers (the server is closing). */
  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** Ends a call that still rings: every device involved but `except` hears `reason`; logged as missed. */
  private async endRinging(callId: string, reason: CallEndReason, except?: string): Promise<boolean> {
    const call = await this.deps.registry.remove(callId, 'ringing');
    if (!call) return false;
    this.stopTimer(callId);
    const to = [call.callerConnection, ...call.ringing].filter((c) => c !== except);
    this.deps.notify.toConnections(to, 'call:ended', { callId, reason });
    this.deps.logger.debug({ call: callId, reason }, 'call ended before an answer');
    await this.log(call, 'missed');
    return true;
  }

  private async endAnswered(
    call: CallRecord,
    reason: CallEndReason,
    by: string,
    outcome: CallLog['outcome'],
  ): Promise<void> {
    const durationMs = Math.max(0, this.now() - (call.answeredAt ?? this.now()));
    const to = [call.callerConnection, call.calleeConnection!].filter((c) => c !== by);
    this.deps.notify.toConnections(to, 'call:ended', { callId: call.id, reason, durationMs });
    this.deps.logger.debug({ call: call.id, reason, durationMs }, 'call ended');
    await this.log(call, outcome, durationMs);
  }

  private stopTimer(callId: string): void {
    const timer = this.timers.get(callId);
    if (timer) clearTimeout(timer);
    this.timers.delete(callId);
  }

  /**
   * The call-log message of a voice or video call: a direct message from the caller to the callee
   * (client id `call:<callId>`, so it is stored once), delivered like any message. Transfers leave
   * no log. A failure is logged, not thrown: the call itself is over either way.
   */
  private async log(call: CallRecord, outcome: CallLog['outcome'], durationMs?: number): Promise<void> {
    if (call.kind === 'data') return;
    const entry: CallLog = { callId: call.id, media: call.kind, outcome };
    if (durationMs !== undefined) entry.durationMs = durationMs;
    const message: MessageRecord = {
      id: timeOrderedId(),
      siteId: call.siteId,
      senderId: call.callerId,
      recipientId: call.calleeId,
      conversationId: directConversationId(call.callerId, call.calleeId),
      clientId: `call:${call.id}`,
      body: '',
      createdAt: new Date(this.now()),
      call: entry,
    };
    try {
      const result = await this.deps.writer.write({ type: 'message', message });
      if (result.type === 'message' && !result.duplicate) this.deps.messaging.deliver(result.entries);
    } catch (err) {
      this.deps.logger.error({ err, call: call.id, user: call.callerId, outcome }, 'could not store the call log');
    }
  }
}
