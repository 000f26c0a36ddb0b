// The writer thread's entry. The server runs TypeScript through tsx, and so do its tests under
// vitest, whose transform does not reach worker threads: register tsx's loader here unless this
// thread already has it (a worker inherits the `--import` of a server started by the tsx CLI).
const hasTsx = process.execArgv.some((arg) => arg.includes('tsx'));
if (!hasTsx) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import('./thread.ts');
