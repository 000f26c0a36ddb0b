// Compiled by tests/npm-package.spec.ts with `tsc --noEmit` against the installed package's types
// (skipLibCheck off): they stand alone and refuse what the host API refuses.
import { Parley, type HostEvents, type ParleySettings, type Theme } from '@parley/widget';

const theme: Theme = { primaryColor: '#0a7', mode: 'dark' };
const settings: ParleySettings = { site: 'shop', server: 'https://chat.example', theme, tokenStorage: 'memory' };
Parley('init', settings);
Parley('login', { token: 'signed-by-the-host' });
Parley('openChat', 'ann', { draft: 'About my order' });
Parley('on', 'unread', ({ count }) => count.toFixed());
Parley('on', 'message', (event: HostEvents['message']) => event.message.body.length);
Parley('setLocale', 'zh-CN');
Parley('shutdown');

// @ts-expect-error: no such command
Parley('nonsense');
// @ts-expect-error: the site is required
Parley('init', { server: 'https://chat.example' });
// @ts-expect-error: openChat takes a username
Parley('openChat', 42);
// @ts-expect-error: no such event
Parley('on', 'nonsense', () => undefined);
// @ts-expect-error: tokenStorage is one of local, session, memory
Parley('init', { site: 'shop', tokenStorage: 'cookie' });
