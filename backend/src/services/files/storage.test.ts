import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalFileStorage, storageKey } from './storage.js';

const root = mkdtempSync(join(tmpdir(), 'parley-storage-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function text(stream: NodeJS.ReadableStream | null): Promise<string | null> {
  if (!stream) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

describe('LocalFileStorage', () => {
  const storage = new LocalFileStorage(root);
  const key = storageKey('demo', '0190a0b0-0000-7000-8000-000000000001', 'original');

  it('writes through a temporary file, reads whole or by range, sizes, lists and deletes', async () => {
    await storage.put(key, Buffer.from('0123456789'), 'text/plain');
    expect(readdirSync(join(root, 'files', 'demo', '0190a0b0-0000-7000-8000-000000000001'))).toEqual(['original']);
    expect(await text(await storage.get(key))).toBe('0123456789');
    expect(await text(await storage.get(key, { start: 2, end: 4 }))).toBe('234');
    expect(await storage.size(key)).toBe(10);
    expect(await storage.list('files/demo/')).toEqual([key]);
    await storage.delete(key);
    expect(await storage.get(key)).toBeNull();
    expect(await storage.size(key)).toBeNull();
    expect(await storage.list('files/')).toEqual([]);
    await storage.delete(key); // deleting what is gone is no error
  });

  it('refuses keys that could leave its folder', async () => {
    for (const bad of ['../x', 'files/../../etc/passwd', '/abs', 'a//b', 'a/./b', 'a\\b', ''])
      await expect(storage.put(bad, Buffer.from('x'), 'text/plain')).rejects.toThrow(/invalid storage key/);
  });
});
