import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../src/paths.js';

/**
 * The offline part of the dependency audit (docs/SECURITY.md, "Dependencies"). `npm audit` needs
 * the registry's advisory endpoint, which this workplace cannot reach; this test reads the lock
 * file instead and fails if any installed copy of a network-facing package is older than the
 * release that fixed its known advisory, so a lock-file downgrade cannot bring one back.
 */
const fixedIn: Record<string, { version: string; advisory: string }> = {
  ws: { version: '8.17.1', advisory: 'CVE-2024-37890: crash on a request with too many headers' },
  'socket.io': { version: '4.6.2', advisory: 'CVE-2024-38355: unhandled error event from a crafted packet' },
  'socket.io-parser': { version: '4.2.3', advisory: 'CVE-2023-32695: insufficient validation of packets' },
  'engine.io': { version: '6.4.2', advisory: 'CVE-2023-31125: uncaught exception from a crafted request' },
  cookie: { version: '0.7.0', advisory: 'CVE-2024-47764: out-of-bounds characters in cookie names' },
  jose: { version: '4.15.5', advisory: 'CVE-2024-28176: resource exhaustion from compressed JWE' },
  fastify: { version: '5.3.2', advisory: 'CVE-2025-32442: content-type validation bypass' },
};

const newer = (a: string, b: string) => {
  const [x, y] = [a, b].map((v) => v.split(/[.-]/).slice(0, 3).map(Number));
  for (let i = 0; i < 3; i++) if (x![i]! !== y![i]!) return x![i]! > y![i]!;
  return true; // equal
};

describe('dependencies', () => {
  it('has no installed copy of a network-facing package older than its security fix', () => {
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string }>;
    };
    const found: string[] = [];
    const stale: string[] = [];
    for (const [path, meta] of Object.entries(lock.packages)) {
      const name = path.replace(/^.*node_modules\//, '');
      const fix = fixedIn[name];
      if (!fix || !meta.version) continue;
      found.push(name);
      if (!newer(meta.version, fix.version)) stale.push(`${path} ${meta.version} < ${fix.version} (${fix.advisory})`);
    }
    expect(stale).toEqual([]);
    expect(new Set(found)).toEqual(new Set(Object.keys(fixedIn))); // every one is really installed
  });
});
