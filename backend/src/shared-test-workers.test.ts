import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './paths.js';

/**
 * The integration and postgres projects run with `isolate: false` (vitest.config.ts): one worker runs
 * many test files in the same module graph. That is safe only while no file changes what the next
 * one would see. These are the ways a file could, each found by its text.
 */
const sharedStateChanges: { what: string; pattern: RegExp }[] = [
  { what: 'mocks a module', pattern: /\bvi\.(mock|doMock|hoisted)\s*\(/ },
  { what: 'stubs a global or the environment', pattern: /\bvi\.(stubGlobal|stubEnv)\s*\(/ },
  { what: 'fakes the timers', pattern: /\bvi\.useFakeTimers\s*\(/ },
  { what: 'spies on a shared object', pattern: /\bvi\.spyOn\s*\(/ },
  { what: 'writes process.env', pattern: /\bprocess\.env(\.\w+|\[[^\]]+\])\s*(=(?!=)|\+=)|delete\s+process\.env/ },
  { what: 'listens on the process', pattern: /\bprocess\.(on|once|addListener)\s*\(/ },
];

describe('integration test files share their workers', () => {
  it('no file mocks, stubs, fakes timers, edits process.env or listens on the process', () => {
    const dir = join(repoRoot, 'backend', 'test');
    const files = readdirSync(dir).filter((name) => name.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(10);
    const found: string[] = [];
    for (const name of files) {
      const lines = readFileSync(join(dir, name), 'utf8').split('\n');
      lines.forEach((line, index) => {
        for (const { what, pattern } of sharedStateChanges) {
          if (pattern.test(line)) found.push(`test/${name}:${index + 1} ${what}: ${line.trim()}`);
        }
      });
    }
    expect(found, 'move such a file to a project of its own with isolate: true').toEqual([]);
  });

  it('would notice each of them', () => {
    const samples = [
      "vi.mock('./store.js')",
      "vi.stubEnv('PORT', '1')",
      'vi.useFakeTimers()',
      'vi.spyOn(console, "log")',
      "process.env.PARLEY_X = '1'",
      "process.env['PARLEY_X'] = '1'",
      'delete process.env.PARLEY_X',
      "process.on('exit', done)",
    ];
    for (const sample of samples) {
      expect(
        sharedStateChanges.some(({ pattern }) => pattern.test(sample)),
        sample,
      ).toBe(true);
    }
    expect(sharedStateChanges.some(({ pattern }) => pattern.test('if (process.env.CI === "true")'))).toBe(false);
  });
});
