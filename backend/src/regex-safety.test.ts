/**
 * Every regular expression in the shipped code runs in linear time (issue 12, finding 1: a
 * quadratic e-mail pattern froze the node for seconds on one payload). Each regex literal and each
 * `new RegExp("…")` with a literal pattern in backend/src, widget/src and backend/scripts goes
 * through `recheck`, a ReDoS checker; a pattern it finds super-linear fails the test, naming the
 * file and line. A RegExp built from a runtime string cannot be checked here and fails too, unless
 * listed in DYNAMIC_ALLOWED with the reason it is safe.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseSync } from 'oxc-parser';
import { check } from 'recheck';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './paths.js';

const ROOTS = ['backend/src', 'backend/scripts', 'widget/src', 'demo-site'];
/** `file:line` of RegExps built at run time, with why each is safe. */
const DYNAMIC_ALLOWED: Record<string, string> = {};

interface Found {
  where: string;
  source: string;
  flags: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name === 'generated' || entry.name === 'node_modules' ? [] : sourceFiles(path);
    return /\.(ts|tsx|mts|mjs|js)$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Walks an oxc AST, collecting regex literals and RegExp constructions. */
function collect(file: string, text: string, found: Found[], dynamic: string[]): void {
  const { program, errors } = parseSync(file, text);
  if (errors.length > 0) throw new Error(`${file}: cannot parse: ${errors[0]!.message}`);
  const where = (node: { start: number }) => `${relative(repoRoot, file)}:${lineOf(text, node.start)}`;
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    const n = node as Record<string, unknown> & { type?: string; start: number };
    if (n.type === 'Literal' && n.regex) {
      const { pattern, flags } = n.regex as { pattern: string; flags: string };
      found.push({ where: where(n), source: pattern, flags });
    }
    if (
      (n.type === 'NewExpression' || n.type === 'CallExpression') &&
      (n.callee as { type?: string; name?: string }).type === 'Identifier' &&
      (n.callee as { name?: string }).name === 'RegExp'
    ) {
      const [pattern, flags] = n.arguments as { type: string; value?: unknown }[];
      if (pattern?.type === 'Literal' && typeof pattern.value === 'string') {
        found.push({
          where: where(n),
          source: pattern.value,
          flags: flags?.type === 'Literal' && typeof flags.value === 'string' ? flags.value : '',
        });
      } else if (!(where(n) in DYNAMIC_ALLOWED)) {
        dynamic.push(where(n));
      }
    }
    for (const [key, value] of Object.entries(n)) if (key !== 'regex') visit(value);
  };
  visit(program);
}

const found: Found[] = [];
const dynamic: string[] = [];
for (const root of ROOTS) {
  for (const file of sourceFiles(join(repoRoot, root))) collect(file, readFileSync(file, 'utf8'), found, dynamic);
}

describe('finding 1: every regular expression in the code runs in linear time', () => {
  it('finds the patterns of the code (the scan itself works)', () => {
    expect(found.length).toBeGreaterThan(20);
    expect(found.some((f) => f.where.startsWith('backend/src/protocol/schemas.ts'))).toBe(true);
  });

  it('builds no RegExp from a runtime string without a reason', () => {
    expect(dynamic).toEqual([]);
  });

  it('recheck finds no super-linear pattern', { timeout: 120_000 }, async () => {
    const unsafe: string[] = [];
    // One at a time: recheck's native checker is a child process per call.
    for (const f of found) {
      const result = await check(f.source, f.flags, { timeout: 10_000 });
      if (result.status !== 'safe') {
        const why = result.status === 'vulnerable' ? result.complexity.summary : `${result.status}`;
        unsafe.push(`${f.where} /${f.source}/${f.flags}: ${why}`);
      }
    }
    expect(unsafe).toEqual([]);
  });
});
