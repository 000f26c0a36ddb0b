import { Limits } from '../../protocol/constants.js';
import { profileAnswerSchema, providedProfileSchema, type ProfileRequest } from '../../protocol/profile-provider.js';
import { avatarUrl as avatarUrlSchema, stripControls } from '../../protocol/schemas.js';
import type { FetchedProfile } from '../../store/store.js';
import { SIGNATURE_HEADER, signRequest } from '../signed-requests.js';

/** A provider that did not answer usefully: why, for the log. */
export class ProviderFailure extends Error {
  constructor(
    message: string,
    readonly detail: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ProviderFailure';
  }
}

export interface ProviderAnswer {
  profiles: FetchedProfile[];
  /** Entries of the answer that were not usable (wrong shape, an id not asked for, an empty name). */
  rejected: number;
}

/**
 * Asks the provider at `url` for the profiles of `ids` (one signed POST) and checks its answer.
 * Throws ProviderFailure when it does not answer in time, answers anything but 200, answers more
 * than `maxAnswerBytes`, or not `{ profiles: [...] }` in JSON. Redirects are not followed.
 */
export async function requestProfiles(input: {
  url: string;
  site: string;
  secret: string;
  ids: readonly string[];
  timeoutMs: number;
  maxAnswerBytes: number;
  now: Date;
  /** Aborts the request (the server is shutting down). */
  signal?: AbortSignal;
}): Promise<ProviderAnswer> {
  const request: ProfileRequest = { site: input.site, ids: [...input.ids] };
  const body = JSON.stringify(request);
  const timeout = AbortSignal.timeout(input.timeoutMs);
  const signal = input.signal ? AbortSignal.any([timeout, input.signal]) : timeout;
  let text: string;
  let status = 0;
  try {
    const response = await fetch(input.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'user-agent': 'Parley profile fetch',
        [SIGNATURE_HEADER]: signRequest(input.secret, body, input.now),
      },
      body,
      redirect: 'error',
      signal,
    });
    status = response.status;
    if (status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw new ProviderFailure(`answered ${status}`, { status });
    }
    text = await readLimited(response, input.maxAnswerBytes);
  } catch (err) {
    if (err instanceof ProviderFailure) throw err;
    if (timeout.aborted) throw new ProviderFailure(`no answer within ${input.timeoutMs} ms`, { status });
    if (input.signal?.aborted) throw new ProviderFailure('aborted: the server is shutting down');
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new ProviderFailure('request failed', { status, error: cause?.code ?? cause?.message ?? String(err) });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ProviderFailure('answer is not JSON', { bytes: text.length });
  }
  const envelope = profileAnswerSchema.safeParse(json);
  if (!envelope.success) throw new ProviderFailure('answer is not { profiles: [...] }');
  const asked = new Set(input.ids);
  const profiles: FetchedProfile[] = [];
  let rejected = 0;
  for (const entry of envelope.data.profiles) {
    const parsed = providedProfileSchema.safeParse(entry);
    const name = parsed.success ? stripControls(parsed.data.name).trim().slice(0, Limits.displayNameMax).trim() : '';
    if (!parsed.success || !asked.has(parsed.data.id) || !name) {
      rejected++;
      continue;
    }
    const avatar = parsed.data.avatarUrl;
    profiles.push({
      externalId: parsed.data.id,
      displayName: name,
      // An avatar the widget would refuse to show (not https) is dropped; the name still counts.
      avatarUrl: typeof avatar === 'string' && avatarUrlSchema.safeParse(avatar).success ? avatar : null,
    });
  }
  return { profiles, rejected };
}

/** The answer's body as text, refused past `max` bytes (declared or as it streams in). */
async function readLimited(response: Response, max: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > max) {
    await response.body?.cancel().catch(() => undefined);
    throw new ProviderFailure(`answer larger than ${max} bytes`, { bytes: declared });
  }
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw new ProviderFailure(`answer larger than ${max} bytes`, { bytes: size });
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
