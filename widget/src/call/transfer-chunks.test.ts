import { describe, expect, it } from 'vitest';
import { CHUNK_BYTES, chunkRanges, createAssembler, parseControl, sha256Hex } from './transfer-chunks.js';

describe('direct transfer chunks', () => {
  it('cuts a file into 16 KB ranges that cover it exactly', () => {
    expect(chunkRanges(0)).toEqual([]);
    expect(chunkRanges(10)).toEqual([[0, 10]]);
    const ranges = chunkRanges(5 * 1024 * 1024 + 7);
    expect(ranges).toHaveLength(321);
    expect(ranges[0]).toEqual([0, CHUNK_BYTES]);
    expect(ranges.at(-1)).toEqual([5 * 1024 * 1024, 5 * 1024 * 1024 + 7]);
  });

  it('reassembles the pieces and checks the SHA-256', async () => {
    const bytes = new Uint8Array(40_000).map((_, i) => (i * 31) % 251);
    const expected = await sha256Hex(bytes.buffer);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
    const parts = createAssembler(bytes.length, 'application/octet-stream');
    let progress = 0;
    for (const [start, end] of chunkRanges(bytes.length)) progress = parts.add(bytes.slice(start, end).buffer);
    expect(progress).toBe(1);
    const blob = await parts.finish(expected);
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(bytes);
  });

  it('refuses a damaged, short or overlong file', async () => {
    const parts = createAssembler(4, 'text/plain');
    parts.add(new Uint8Array([1, 2, 3, 4]).buffer);
    await expect(parts.finish('0'.repeat(64))).rejects.toThrow(/damaged/);
    const short = createAssembler(8, 'text/plain');
    short.add(new Uint8Array([1]).buffer);
    await expect(short.finish('x')).rejects.toThrow(/1 bytes of 8/);
    expect(() => createAssembler(1, 'text/plain').add(new Uint8Array(2).buffer)).toThrow(/more bytes/);
  });

  it('reads only well-formed control messages', () => {
    expect(parseControl('{"type":"done","sha256":"ab"}')).toEqual({ type: 'done', sha256: 'ab' });
    expect(parseControl('{"type":"verified"}')).toEqual({ type: 'verified' });
    expect(parseControl('{"type":"done"}')).toBeNull();
    expect(parseControl('<b>')).toBeNull();
  });
});
