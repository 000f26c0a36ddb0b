// The app of tests/npm-package.spec.ts, built by the test with Vite after it installed the packed
// @parley/widget: what a single-page app does with the package. The Parley server's address comes
// in the query string (`?server=…`); `?tag` adds the script tag as well, as a page might that
// also pastes parley.js.
import { Parley, type HostEvents } from '@parley/widget';
// The same package installed a second time under another name, as two bundles on one page would
// each carry a copy: its Parley must drive the one widget.
import { Parley as SecondCopy } from 'parley-copy';

const server = new URLSearchParams(location.search).get('server') ?? location.origin;
const received: string[] = [];
(window as unknown as { received: string[] }).received = received;

Parley('on', 'message', ({ message }: HostEvents['message']) => void received.push(message.body));
Parley('on', 'unread', ({ count }) => {
  document.getElementById('unread')!.textContent = String(count);
});
Parley('init', { site: 'demo', server });

if (new URLSearchParams(location.search).has('tag')) {
  const script = document.createElement('script');
  script.src = `${server}/parley.js`;
  script.dataset.site = 'demo';
  document.head.append(script);
}

// For the test's steps that a real app would take from its own buttons.
(window as unknown as { app: { Parley: typeof Parley; SecondCopy: typeof Parley } }).app = { Parley, SecondCopy };
