// The writer thread's entry. The server runs TypeScript through tsx, and its tests under vitest,
// whose transform does not reach worker threads; the thread starts with no inherited flags (see
// index.ts) and registers tsx's loader itself before loading its TypeScript.
const { register } = await import('tsx/esm/api');
register();
await import('./thread.ts');
