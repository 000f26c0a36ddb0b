/** How webhooks are scanned, sent and retried (docs/webhooks.md, docs/configuration.md). */
export interface WebhookConfig {
  /**
   * WEBHOOK_ALLOW_PRIVATE=1: endpoints may be on loopback, private and link-local addresses. Off by
   * default, so that a site owner cannot make the server call into its own network (SSRF).
   */
  allowPrivate: boolean;
  /** WEBHOOK_CHECK_MS: how often new events are looked for and due deliveries sent. Default 1000. */
  checkMs: number;
  /**
   * WEBHOOK_SETTLE_MS: messages are turned into `message.stored` events once they are this old, so
   * that one committed late with an earlier id (a busy writer, another node's clock) is not passed
   * by. Default 5000.
   */
  settleMs: number;
  /** WEBHOOK_TIMEOUT_MS: how long one attempt may take before it counts as failed. Default 10000. */
  timeoutMs: number;
  /** WEBHOOK_RETRY_BASE_MS: the wait after the first failure; it doubles each time (with jitter). Default 30000. */
  retryBaseMs: number;
  /** WEBHOOK_RETRY_MAX_MS: the longest wait between two attempts. Default 3600000 (an hour). */
  retryMaxMs: number;
  /** WEBHOOK_RETRY_HOURS: how long a delivery is retried before it is marked failed. Default 24. */
  retryForMs: number;
  /**
   * WEBHOOK_UNREAD_LOOKBACK_MINUTES: after a start, how far before the unread wait messages are
   * looked at for `message.unread` (events missed while no server ran). Default 60.
   */
  unreadLookbackMs: number;
  /** WEBHOOK_KEEP_DAYS: delivered and failed deliveries are kept this long for the record. Default 7. */
  keepMs: number;
}
