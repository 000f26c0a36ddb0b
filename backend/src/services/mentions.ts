import { withoutTrailing } from '../text.js';

/**
 * `@username` tokens of a message body, lower-cased. Usernames may contain dots and dashes, but a
 * mention at the end of a sentence ("thanks @bob.") should not take the full stop with it.
 */
export function mentionedUsernames(body: string): string[] {
  const found = new Set<string>();
  for (const match of body.matchAll(/(?:^|[^\w@])@([a-z0-9][a-z0-9._-]{0,31})/gi)) {
    found.add(withoutTrailing(match[1]!.toLowerCase(), '.-'));
  }
  return [...found];
}
