import { signal, type ReadonlySignal } from '@preact/signals-core';
import type { ActionRequest, SignedAction } from '@parley/backend/protocol';
import { signedActionOf } from '@parley/backend/protocol/signed-actions';
import type { Request } from './connection.js';
import type { Lifecycle } from './feature.js';

/**
 * The page's signer (`Parley('init', { signAction })`): asked before each action the site requires
 * a signed token for, it resolves with a token the site's own server signed for this user, action
 * and resource (docs/protocol.md#signed-actions), or rejects to refuse the action.
 */
export type SignAction = (request: ActionRequest) => Promise<string>;

/** Why the last signed action failed, for the panel: the page has no signer, or it (or the server) said no. */
export interface ActionProblem {
  kind: 'unsigned' | 'denied';
  action: SignedAction;
  /** The reason the page's signer gave (its Error's message), if any. */
  detail: string | null;
}

const TOKEN_CODES = new Set([
  'action_token_required',
  'action_token_invalid',
  'action_token_expired',
  'action_token_replayed',
]);
const codeOf = (err: unknown) => (err as { code?: string }).code;
const failure = (code: string, message: string) => Object.assign(new Error(message), { code });

/**
 * Requests that carry a signed token where the site requires one. The actions to sign come with
 * session:ready; an action the server says needs a token (the site changed meanwhile) is signed and
 * sent once more, and so is one whose token expired on the way. A missing signer or
 * a refusal from the page fails the request with a clear message and sets `problem`; nothing throws
 * past the request.
 */
export function signedRequests(request: Request, sign: SignAction | undefined, lifecycle: Lifecycle) {
  let required = new Set<SignedAction>();
  const problem = signal<ActionProblem | null>(null);
  lifecycle.onReady((ready) => void (required = new Set(ready.signedActions ?? [])));
  lifecycle.onReset(() => (problem.value = null));

  const tokenFor = async (wanted: ActionRequest): Promise<string> => {
    if (!sign) {
      problem.value = { kind: 'unsigned', action: wanted.action, detail: null };
      throw failure(
        'action_token_required',
        `This site requires its page to sign ${wanted.action}, but the page gave no signAction callback to Parley('init').`,
      );
    }
    let token: unknown;
    try {
      token = await sign(wanted);
    } catch (err) {
      const detail = err instanceof Error ? err.message : typeof err === 'string' ? err : null;
      problem.value = { kind: 'denied', action: wanted.action, detail: detail || null };
      throw failure('action_token_required', `The page did not sign ${wanted.action}${detail ? `: ${detail}` : '.'}`);
    }
    if (typeof token !== 'string' || !token) {
      problem.value = { kind: 'denied', action: wanted.action, detail: null };
      throw failure('action_token_required', `signAction did not resolve with a token for ${wanted.action}.`);
    }
    return token;
  };

  const signed: Request = async (event, payload) => {
    const wanted = signedActionOf(event, payload);
    if (!wanted) return request(event, payload);
    const withToken = async () => request(event, { ...payload, actionToken: await tokenFor(wanted) });
    /** Signed; once more with a fresh token if this one expired on the way (a slow signer, a slow network). */
    const sendSigned = () =>
      withToken().catch((err: unknown) => {
        if (codeOf(err) !== 'action_token_expired') throw err;
        return withToken();
      });
    problem.value = null;
    try {
      let reply;
      if (required.has(wanted.action)) reply = await sendSigned();
      else {
        try {
          reply = await request(event, payload);
        } catch (err) {
          // The site began to require it since this session started.
          if (codeOf(err) !== 'action_token_required') throw err;
          required.add(wanted.action);
          reply = await sendSigned();
        }
      }
      return reply;
    } catch (err) {
      if (!problem.value && TOKEN_CODES.has(codeOf(err) ?? '')) {
        problem.value = { kind: 'denied', action: wanted.action, detail: null };
      }
      throw err;
    }
  };

  return {
    request: signed,
    /** Why the last signed action failed; null once one succeeds or it is dismissed. */
    actionProblem: problem as ReadonlySignal<ActionProblem | null>,
    dismissActionProblem: () => void (problem.value = null),
  };
}
