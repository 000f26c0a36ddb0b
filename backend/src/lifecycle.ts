/**
 * Shared by the parts that must behave differently once shutdown has begun (the gateway and the
 * HTTP routes); app.ts owns the one instance. Its own module so neither transport imports the other.
 */
export interface Lifecycle {
  closing: boolean;
  /** Client events being handled right now; shutdown waits for them to be answered. */
  inFlight: number;
}
