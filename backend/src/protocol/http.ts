/**
 * The shapes of the handshake's refusal and of the HTTP API (site config, sign-in, the theme), part
 * of the protocol (re-exported by ./index.ts).
 */
import type { ErrorBody, UserSummary } from './basics.js';

/** The `data` of a refused connection's `connect_error`. */
export type HandshakeError = ErrorBody;

/**
 * The theme object: every key optional, each documented. A site's default lives on the server
 * (`npm run site -- set <id> --theme '{…}'`); the page may override any key (settings, `data-*`,
 * `Parley('setTheme', …)`). Colours and sizes become CSS custom properties on the widget's host.
 */
export interface Theme {
  /** Main colour: launcher, header, own messages, buttons. CSS colour. */
  primaryColor?: string;
  /** Text on the primary colour. */
  onPrimaryColor?: string;
  /** Highlights: unread badges, links in own messages. */
  accentColor?: string;
  /** Panel background. */
  backgroundColor?: string;
  /** Main text colour. */
  textColor?: string;
  /** Font family for the whole widget. */
  fontFamily?: string;
  /** Base font size in px (12–20). */
  fontSize?: number;
  /** Corner radius in px (0–24). */
  radius?: number;
  /** Spacing: "compact" or "comfortable". */
  density?: 'compact' | 'comfortable';
  /** Colour scheme: "light", "dark", or "auto" to follow the visitor's system setting. */
  mode?: 'light' | 'dark' | 'auto';
  /** Corner the launcher sits in. */
  position?: 'right' | 'left';
  /** Distance from the side of the window, px. */
  offsetX?: number;
  /** Distance from the bottom of the window, px. */
  offsetY?: number;
  /** Text next to the launcher icon; empty for an icon-only round launcher. */
  launcherLabel?: string;
  /** The launcher's icon: a chat bubble, a question mark, an envelope, or none (label only). */
  launcherIcon?: 'chat' | 'help' | 'mail' | 'none';
  /** Title in the panel header. */
  title?: string;
  /** Stacking order of the widget. */
  zIndex?: number;
  /** Interface language ("en", "zh-CN"), unless the page sets one. */
  locale?: string;
}

/** GET /api/v1/sites/:site/config: what the widget needs before anyone signs in. */
export interface SiteConfig {
  site: string;
  name: string;
  registrationOpen: boolean;
  /** The site's default theme; the page's own settings override it key by key. */
  theme: Theme;
}

export interface LoginResponse {
  token: string;
  expiresAt: string;
  user: UserSummary;
}
