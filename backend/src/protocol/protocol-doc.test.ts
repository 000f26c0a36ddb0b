import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../paths.js';
import { ErrorCode, serverEvents } from './index.js';
import { schemas } from './schemas.js';

const doc = readFileSync(join(repoRoot, 'docs', 'protocol.md'), 'utf8');
const headings = new Set([...doc.matchAll(/^### `([^`]+)`$/gm)].map((m) => m[1]));

describe('docs/protocol.md', () => {
  it('has a section for every event, and none for events that do not exist', () => {
    // A name used in both directions (call:signal) has one section.
    const events = [...new Set([...Object.keys(schemas), ...serverEvents])].sort();
    expect([...headings].sort()).toEqual(events);
  });

  it('explains every error code', () => {
    for (const code of Object.values(ErrorCode)) expect(doc).toMatch(new RegExp(`^\\| \`${code}\` +\\|`, 'm'));
  });
});
