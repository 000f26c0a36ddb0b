/**
 * Whether a browser origin is one a site allows. Patterns are exact origins
 * ("https://shop.example") or an origin with `*` as the port ("http://localhost:*").
 */
export function originAllowed(origin: string, patterns: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.origin !== origin) return false; // refuses paths, credentials and other odd forms
  return patterns.some((pattern) => {
    if (pattern === origin) return true;
    if (!pattern.endsWith(':*')) return false;
    return `${url.protocol}//${url.hostname}` === pattern.slice(0, -2);
  });
}
