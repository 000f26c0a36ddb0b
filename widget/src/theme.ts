import type { Theme } from '@parley/backend/protocol';

export type { Theme };

const colourKeys = {
  primaryColor: '--parley-primary',
  onPrimaryColor: '--parley-on-primary',
  accentColor: '--parley-accent',
  backgroundColor: '--parley-bg',
  textColor: '--parley-text',
} as const;

const numeric = (value: unknown, min: number, max: number): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : undefined;

/** A CSS colour the browser understands (no url(), no semicolons: a value, not a declaration). */
function colour(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 64 || /[;{}<>]|url\(/i.test(value)) return undefined;
  return CSS.supports('color', value) ? value : undefined;
}

/**
 * Keeps only valid keys with valid values; reports the rest through `warn`, so a typo in a host's
 * theme is visible in the console and never breaks the widget.
 */
export function cleanTheme(input: unknown, warn: (message: string) => void): Theme {
  if (typeof input !== 'object' || input === null) {
    warn('the theme must be an object.');
    return {};
  }
  const out: Theme = {};
  for (const [key, value] of Object.entries(input)) {
    const bad = () => warn(`theme.${key}: ${JSON.stringify(value)} is not a valid value; ignored.`);
    switch (key) {
      case 'primaryColor':
      case 'onPrimaryColor':
      case 'accentColor':
      case 'backgroundColor':
      case 'textColor': {
        const c = colour(value);
        if (c) out[key] = c;
        else bad();
        break;
      }
      case 'fontFamily':
        if (typeof value === 'string' && value.length <= 200 && !/[;{}<>]/.test(value)) out.fontFamily = value;
        else bad();
        break;
      case 'fontSize':
      case 'radius':
      case 'offsetX':
      case 'offsetY':
      case 'zIndex': {
        const [min, max] = {
          fontSize: [12, 20],
          radius: [0, 24],
          offsetX: [0, 400],
          offsetY: [0, 400],
          zIndex: [0, 2147483647],
        }[key];
        const n = numeric(value, min!, max!);
        if (n === undefined) bad();
        else out[key] = n;
        break;
      }
      case 'density':
        if (value === 'compact' || value === 'comfortable') out.density = value;
        else bad();
        break;
      case 'mode':
        if (value === 'light' || value === 'dark' || value === 'auto') out.mode = value;
        else bad();
        break;
      case 'position':
        if (value === 'right' || value === 'left') out.position = value;
        else bad();
        break;
      case 'launcherLabel':
      case 'title':
        if (typeof value === 'string' && value.length <= 64) out[key] = value;
        else bad();
        break;
      case 'launcherIcon':
        if (value === 'chat' || value === 'help' || value === 'mail' || value === 'none') out.launcherIcon = value;
        else bad();
        break;
      case 'locale':
        if (typeof value === 'string' && value.length <= 16) out.locale = value;
        else bad();
        break;
      default:
        warn(`theme.${key} is not a theme key; ignored.`);
    }
  }
  return out;
}

/**
 * The launcher's and the panel's stacking level unless the theme sets one: the top of the range, so
 * host overlays stay below. At an equal level the later element in the DOM is drawn on top, and the
 * widget's host element is appended to the end of <body> when it starts; the image viewer and the
 * call layer come after the panel and the launcher, so they stay above them.
 */
export const DEFAULT_Z_INDEX = 2147483647;

/** Writes the theme onto the widget's host element as custom properties. */
export function applyTheme(host: HTMLElement, theme: Theme): void {
  for (const [key, property] of Object.entries(colourKeys)) {
    const value = theme[key as keyof typeof colourKeys];
    if (value) host.style.setProperty(property, value);
    else host.style.removeProperty(property);
  }
  const set = (property: string, value: string | undefined) =>
    value === undefined ? host.style.removeProperty(property) : host.style.setProperty(property, value);
  set('--parley-font', theme.fontFamily);
  set('--parley-font-size', theme.fontSize === undefined ? undefined : `${theme.fontSize}px`);
  set('--parley-radius', theme.radius === undefined ? undefined : `${theme.radius}px`);
  set('--parley-offset-x', theme.offsetX === undefined ? undefined : `${theme.offsetX}px`);
  set('--parley-offset-y', theme.offsetY === undefined ? undefined : `${theme.offsetY}px`);
  set('--parley-z', String(theme.zIndex ?? DEFAULT_Z_INDEX));
  host.dataset.position = theme.position ?? 'right';
  host.dataset.density = theme.density ?? 'comfortable';
  host.dataset.mode = theme.mode ?? 'light';
}
