/**
 * What Parley sends a site's profile provider and what it accepts back (docs/api.md, "Profile
 * provider"). The host implements the other side; these are checked on every answer.
 */
import { z } from 'zod';
import { EXTERNAL_ID_MAX } from './admin-api.js';

/** The body of `POST <profileUrl>`: the site and the host user ids Parley wants profiles for. */
export interface ProfileRequest {
  site: string;
  ids: string[];
}

/** The answer's envelope: `{ profiles: [...] }`, at most a few more entries than ids asked. */
export const profileAnswerSchema = z.object({ profiles: z.array(z.unknown()).max(1000) });

/**
 * One profile of the answer. Names longer than a display name may be are cut, not refused; an
 * avatar that is not an https URL is dropped. Ids Parley did not ask for are ignored.
 */
export const providedProfileSchema = z.object({
  id: z.string().min(1).max(EXTERNAL_ID_MAX),
  name: z.string().max(1000),
  avatarUrl: z.string().max(2048).nullable().optional(),
});
export type ProvidedProfile = z.infer<typeof providedProfileSchema>;
