import type { Result, SiteConfig } from '@parley/backend/protocol';

/**
 * The site's public settings (name, theme, whether visitors may register), or null when the server
 * refuses or cannot be reached; either is said in the console. parley.js asks before any chunk has
 * loaded (the launcher wears the site's theme) and hands the answer to the core.
 */
export function fetchSiteConfig(server: string, site: string): Promise<SiteConfig | null> {
  return fetch(`${server}/api/v1/sites/${encodeURIComponent(site)}/config`)
    .then((r) => r.json() as Promise<Result<SiteConfig>>)
    .then((result) => {
      if (result.ok) return result.data;
      console.error(`[Parley] ${result.error.code}: ${result.error.message}`);
      return null;
    })
    .catch((err: unknown) => {
      console.error('[Parley] cannot reach the chat server', err);
      return null;
    });
}
