/**
 * What the host API (`loader.ts`, in parley.js or the npm package) and the chunks it loads on demand
 * say to each other. Types only: parley.js is a separate build from the chunks, so no module is
 * shared between them at run time and nothing reactive crosses this line (plain values and callbacks
 * do). The npm package is one build, but keeps to the same line.
 */
import type { Signal } from '@preact/signals-core';
import type { CallMedia, UserSummary } from '@parley/backend/protocol';
import type { ClientOptions, ParleyClient } from './core/client.js';
import type { Theme } from './theme.js';
import type { ViewState } from './ui/view-state.js';

/** What the launcher shows besides the theme. */
export interface LauncherState {
  unread: number;
  /** Some unread message mentions the user. */
  mentioned: boolean;
  /** The panel is open (the launcher closes it). */
  open: boolean;
}

export interface RuntimeOptions extends ClientOptions {
  /** The merged theme (site's, then the page's) and the resolved locale, as parley.js has them now. */
  theme: Theme;
  locale: string;
  /** Called at start and whenever the launcher's state changes. */
  onLauncher(state: LauncherState): void;
}

/** The core chunk (`runtime.ts`): the client, the view state and the attention cues, with no UI. */
export interface Runtime {
  client: ParleyClient;
  view: ViewState;
  theme: Signal<Theme>;
  locale: Signal<string>;
  /** Calls and direct transfers (their code loads on demand); see call/calls.tsx. */
  calls: CallStarter;
  /** parley.js's theme or locale changed. */
  setLook(theme: Theme, locale: string): void;
  /** Ends everything (shutdown): no traffic afterwards. */
  stop(): void;
}

/** What the panel may start: a call, or a file sent peer to peer. */
export interface CallStarter {
  start(peer: UserSummary, media: CallMedia): Promise<void>;
  sendDirect(peer: UserSummary, file: File): Promise<void>;
}

export interface PanelOptions {
  runtime: Runtime;
  /** The widget's shadow root: the panel adds its stylesheet there. */
  root: ShadowRoot;
  /** Where the panel and the docked chats go (`.windows`, beside the launcher). */
  container: HTMLElement;
  /** parley.js's launcher, which gets the focus back when the panel closes; null when hidden. */
  launcher: HTMLButtonElement | null;
}

/** The two entry chunks' exports. */
export interface RuntimeModule {
  startRuntime(options: RuntimeOptions): Runtime;
}
export interface PanelModule {
  /** Renders the panel and docked chats from the view state; returns the unmount. */
  mountPanel(options: PanelOptions): () => void;
}

/** The chunks the host API loads, by name. */
export interface ChunkModules {
  core: RuntimeModule;
  panel: PanelModule;
}
/**
 * Loads a chunk: parley.js from beside itself (boot/chunks.ts), the npm package with `import()`
 * that the app's bundler resolves (npm-package.ts).
 */
export type LoadChunk = <K extends keyof ChunkModules>(name: K) => Promise<ChunkModules[K]>;
