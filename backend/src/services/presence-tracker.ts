/**
 * Knows who is connected to this node. A user is online while any of their connections is open;
 * when the last one closes they stay online for a grace period, so a page navigation or a quick
 * reconnect on the host site shows buddies no offline/online flicker.
 */
export interface PresenceEvents {
  online(userId: string): void;
  offline(userId: string, at: Date): void;
}

export class PresenceTracker {
  private readonly connections = new Map<string, number>();
  private readonly leaving = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly graceMs: number,
    private readonly events: PresenceEvents,
  ) {}

  /** Open connections of the user on this node. */
  count(userId: string): number {
    return this.connections.get(userId) ?? 0;
  }

  isOnline(userId: string): boolean {
    return this.connections.has(userId) || this.leaving.has(userId);
  }

  connect(userId: string): void {
    const pending = this.leaving.get(userId);
    if (pending) {
      clearTimeout(pending);
      this.leaving.delete(userId);
    }
    const count = this.connections.get(userId) ?? 0;
    this.connections.set(userId, count + 1);
    if (count === 0 && !pending) this.events.online(userId);
  }

  disconnect(userId: string): void {
    const count = (this.connections.get(userId) ?? 0) - 1;
    if (count > 0) {
      this.connections.set(userId, count);
      return;
    }
    this.connections.delete(userId);
    const timer = setTimeout(() => {
      this.leaving.delete(userId);
      this.events.offline(userId, new Date());
    }, this.graceMs);
    timer.unref();
    this.leaving.set(userId, timer);
  }

  /** Ends every grace period at once (shutdown), reporting those users offline. */
  flush(): void {
    for (const [userId, timer] of this.leaving) {
      clearTimeout(timer);
      this.leaving.delete(userId);
      this.events.offline(userId, new Date());
    }
  }
}
