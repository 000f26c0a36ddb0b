/** The gateway's settings (read from XMPP_COMPONENT_* in config.ts; see docs/xmpp.md). */
export interface XmppConfig {
  /** Where Prosody's component port listens. */
  host: string;
  port: number;
  domain: string;
  secret: string;
  /** Default: `domain` without its first label (parley.example → example). */
  serverDomain?: string;
}
