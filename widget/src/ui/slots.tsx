import type { ComponentType } from 'preact';
import { uiFeatures } from './features.js';

/** Places in the UI where a feature may put a component, with the props it gets there. */
export interface Slots {
  /** Inside a chat's message list (`<ol>`), after the last message: render `<li>`s. */
  'chat.after-messages': { peerId: string };
}

/** The UI half of a feature: a component for each slot it fills (its core half is `client.use`). */
export type UiFeature = { [S in keyof Slots]?: ComponentType<Slots[S]> };

/** Renders what every feature puts in slot `name`. */
export function Slot<S extends keyof Slots>({ name, ...props }: { name: S } & Slots[S]) {
  return (
    <>
      {uiFeatures.map((feature, i) => {
        const Part = feature[name] as ComponentType<Slots[S]> | undefined;
        return Part ? <Part key={i} {...(props as unknown as Slots[S])} /> : null;
      })}
    </>
  );
}
