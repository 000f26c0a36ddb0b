/**
 * Runs tasks one at a time per key, on this node: a task waits for every earlier task that shares
 * a key with it. The room caps use it so that a burst of parallel requests cannot all pass the
 * same count check before any of them writes (check-then-write is not atomic in the store).
 *
 * Deadlock-free: a task takes all its keys at once, synchronously, so it only ever waits for
 * tasks registered before it.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(keys: Iterable<string>, task: () => Promise<T>): Promise<T> {
    const unique = [...new Set(keys)];
    const before = unique.flatMap((key) => {
      const tail = this.tails.get(key);
      return tail ? [tail] : [];
    });
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    for (const key of unique) this.tails.set(key, mine);
    try {
      await Promise.all(before); // tails only ever resolve
      return await task();
    } finally {
      release();
      for (const key of unique) if (this.tails.get(key) === mine) this.tails.delete(key);
    }
  }

  /** Keys held or waited for (tests: nothing is left behind). */
  get size(): number {
    return this.tails.size;
  }
}
