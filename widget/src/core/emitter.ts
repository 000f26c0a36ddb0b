/** A minimal typed event emitter for the host API; a throwing handler never breaks the widget. */
export class Emitter<Events extends object> {
  private readonly handlers = new Map<keyof Events, Set<(data: never) => void>>();

  on<E extends keyof Events>(event: E, handler: (data: Events[E]) => void): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler as (data: never) => void);
    return () => set.delete(handler as (data: never) => void);
  }

  emit<E extends keyof Events>(event: E, data: Events[E]): void {
    for (const handler of this.handlers.get(event) ?? []) {
      try {
        (handler as (data: Events[E]) => void)(data);
      } catch (err) {
        console.error(`[Parley] a "${String(event)}" handler threw`, err);
      }
    }
  }
}
