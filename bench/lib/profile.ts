// Summarizes a V8 CPU profile (.cpuprofile from `node --cpu-prof`): where the server's time went,
// by package or source file, and the hottest functions, as shares of the sampled time.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface ProfileSummary {
  file: string;
  sampledMs: number;
  byPackage: { name: string; share: number }[];
  byFunction: { name: string; share: number }[];
}

/** better-sqlite3's native methods: where SQLite itself runs (queries, commits with their fsync). */
const SQLITE_NATIVE = new Set(['run', 'all', 'get', 'iterate', 'exec', 'Statement', 'pluck', 'raw', 'expand']);

function packageOf(url: string, fallback: string): string {
  if (!url && SQLITE_NATIVE.has(fallback)) return 'better-sqlite3 native (SQLite)';
  if (!url && fallback === 'writev') return 'socket writes (writev)';
  if (!url) return fallback;
  const m = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.startsWith('node:')) return 'node (internals)';
  if (url.startsWith('wasm://')) return 'wasm (Prisma query compiler)';
  const own = /\/(backend\/src\/.+)$/.exec(url);
  return own ? own[1]! : url;
}

export function summarizeProfile(file: string, top = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
  };
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = Math.max(0, profile.timeDeltas[i] ?? 0);
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  });
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, us] of self) {
    const frame = nodes.get(id)!.callFrame;
    const pkg = packageOf(frame.url, frame.functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
    const fn = `${frame.functionName || '(anonymous)'} (${pkg}${frame.url ? `:${frame.lineNumber + 1}` : ''})`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  const rank = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, share: us / total }));
  return { file, sampledMs: total / 1000, byPackage: rank(byPackage), byFunction: rank(byFunction) };
}
