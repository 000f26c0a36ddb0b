// The three wire encodings the wire scenario compares, as Socket.IO options for both ends.
import type { ManagerOptions, SocketOptions } from 'socket.io-client';
import type { ServerOptions } from 'socket.io';
import msgpackParser from 'socket.io-msgpack-parser';

export const WIRE_ENCODINGS = ['json', 'msgpack', 'deflate'] as const;
export type WireEncoding = (typeof WIRE_ENCODINGS)[number];

/** The server's options for an encoding (one parser per server). */
export function serverWireOptions(encoding: WireEncoding): Partial<ServerOptions> {
  if (encoding === 'msgpack') return { parser: msgpackParser };
  // engine.io compresses only frames of 1 KB and up by default, which no chat packet reaches.
  if (encoding === 'deflate') return { perMessageDeflate: { threshold: 0 } };
  return {};
}

/** The client's options for the same encoding. */
export function clientWireOptions(encoding: WireEncoding): Partial<ManagerOptions & SocketOptions> {
  if (encoding === 'msgpack') return { parser: msgpackParser };
  // Browsers compress every frame once the extension is agreed; Node's ws client only from 1 KB.
  if (encoding === 'deflate') return { perMessageDeflate: { threshold: 0 } };
  return {};
}

const WORDS = (
  'the be to of and a in that have I it for not on with he as you do at this but his by from they we say her she ' +
  'or an will my one all would there their what so up out if about who get which go me when make can like time no ' +
  'just him know take people into year your good some could them see other than then now look only come its over ' +
  'think also back after use two how our work first well way even new want because any these give day most us ' +
  'meeting tomorrow lunch thanks sure okay sounds great call later send file link price order delivery question'
).split(' ');

/**
 * A chat message of exactly `bytes` characters, ASCII words drawn at random (what deflate gets from
 * real chat is between this and the repeated padding the latency scenario uses), after `head`.
 */
export function chatText(head: string, bytes: number, random: () => number = Math.random): string {
  let text = head;
  while (text.length < bytes) text += ' ' + WORDS[Math.floor(random() * WORDS.length)];
  return text.slice(0, bytes);
}
