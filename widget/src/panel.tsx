/**
 * The panel chunk, loaded by parley.js when the panel opens (and fetched ahead when the browser is
 * idle or the pointer or focus reaches the launcher): the Preact UI of the panel and the docked
 * chats, rendered from the core chunk's view state.
 */
import { render } from 'preact';
import type { PanelModule, PanelOptions } from './chunk-api.js';
import { App } from './ui/App.js';
import { Widget } from './ui/context.js';
import searchCss from './ui/search.css?inline';
import css from './ui/styles.css?inline';

export const mountPanel: PanelModule['mountPanel'] = ({ runtime, root, container, launcher }: PanelOptions) => {
  // Constructed stylesheets: no <style> element, so a strict style-src CSP does not block them.
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css + searchCss);
  root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  const { client, view, theme, locale, calls } = runtime;
  render(
    <Widget.Provider value={{ client, view, theme, locale, launcher, calls }}>
      <App />
    </Widget.Provider>,
    container,
  );
  return () => {
    render(null, container);
    root.adoptedStyleSheets = root.adoptedStyleSheets.filter((s) => s !== sheet);
  };
};
