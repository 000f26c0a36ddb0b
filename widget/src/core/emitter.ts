/** A minimal typed event emitter for the host API; a throwing handler never breaks the widget. */
export type Emitter<Events extends object> = ReturnType<typeof createEmitter<Events>>;

export function createEmitter<Events extends object>() {
  const handlers = new Map<keyof Events, Set<(data: never) => void>>();
  return {
    on<E extends keyof Events>(event: E, handler: (data: Events[E]) => void): () => void {
      let set = handlers.get(event);
      if (!set) handlers.set(event, (set = new Set()));
      set.add(handler as (data: never) => void);
      return () => set.delete(handler as (data: never) => void);
    },
    emit<E extends keyof Events>(event: E, data: Events[E]): void {
      for (const handler of handlers.get(event) ?? []) {
        try {
          (handler as (data: Events[E]) => void)(data);
        } catch (err) {
          console.error(`[Parley] a "${String(event)}" handler threw`, err);
        }
      }
    },
  };
}
