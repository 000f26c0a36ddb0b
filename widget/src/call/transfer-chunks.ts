/**
 * The pure half of a direct file transfer (unit-tested in transfer-chunks.test.ts): how a file is
 * cut into data-channel messages, the control messages around them, and how the receiver puts the
 * pieces back together and checks them.
 */

/** One data-channel message of file bytes; 16 KB goes through every browser's SCTP stack. */
export const CHUNK_BYTES = 16 * 1024;
/** The sender waits while more than this is queued on the channel… */
export const HIGH_WATER = 1024 * 1024;
/** …until it drains below this (`bufferedAmountLowThreshold`). */
export const LOW_WATER = 256 * 1024;

/** [start, end) byte ranges of a file of `size` bytes, in order. */
export function chunkRanges(size: number, chunk = CHUNK_BYTES): [number, number][] {
  const out: [number, number][] = [];
  for (let start = 0; start < size; start += chunk) out.push([start, Math.min(size, start + chunk)]);
  return out;
}

/** Control messages travel as JSON strings; file bytes as binary messages. */
export type Control = { type: 'done'; sha256: string } | { type: 'verified' } | { type: 'corrupt' };

export function parseControl(text: string): Control | null {
  try {
    const value = JSON.parse(text) as { type?: unknown; sha256?: unknown };
    if (value.type === 'done' && typeof value.sha256 === 'string') return { type: 'done', sha256: value.sha256 };
    if (value.type === 'verified' || value.type === 'corrupt') return { type: value.type };
  } catch {
    // not JSON: not a control message
  }
  return null;
}

export const toHex = (digest: ArrayBuffer) =>
  Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');

export async function sha256Hex(data: Blob | ArrayBuffer): Promise<string> {
  const bytes = data instanceof Blob ? await data.arrayBuffer() : data;
  return toHex(await crypto.subtle.digest('SHA-256', bytes));
}

/**
 * The receiver's pieces: collects binary messages, says how far along it is, and at the end gives
 * the file if its size and SHA-256 match what the sender announced.
 */
export function createAssembler(expectedSize: number, mime: string) {
  const parts: ArrayBuffer[] = [];
  let received = 0;
  return {
    add(part: ArrayBuffer): number {
      received += part.byteLength;
      if (received > expectedSize) throw new Error(`more bytes than announced (${received} > ${expectedSize})`);
      parts.push(part);
      return received / (expectedSize || 1);
    },
    get received() {
      return received;
    },
    async finish(sha256: string): Promise<Blob> {
      if (received !== expectedSize) throw new Error(`received ${received} bytes of ${expectedSize}`);
      const blob = new Blob(parts, { type: mime });
      const actual = await sha256Hex(blob);
      if (actual !== sha256) throw new Error('the file arrived damaged (SHA-256 differs)');
      return blob;
    },
  };
}
