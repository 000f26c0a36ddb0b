import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import type { Relations } from '../services/relations.js';

const invalidation = z.object({ from: z.string().max(200), users: z.array(z.string().max(200)).max(100) }).strict();

/**
 * Keeps every node's Relations cache in step: a roster change on one node is published on a Redis
 * channel and the other nodes drop the users named. Pub/sub loses what is published while a
 * subscriber is disconnected, so after any reconnect of the subscriber the whole cache is dropped
 * (it refills from the database on demand). Returns a function that stops it.
 */
export async function syncRelations(options: {
  relations: Relations;
  publisher: Redis;
  subscriber: Redis;
  channel: string;
  nodeId: () => string;
  logger: Logger;
}): Promise<() => Promise<void>> {
  const { relations, publisher, subscriber, channel, logger } = options;

  relations.onChanged((all) => {
    // A room's membership change names every member: send them 100 to a message.
    for (let i = 0; i < all.length; i += 100) {
      const users = all.slice(i, i + 100);
      const message = JSON.stringify({ from: options.nodeId(), users });
      publisher.publish(channel, message).catch((err: unknown) => {
        // The other nodes keep a stale cache until their next reconnect or restart: say so loudly.
        logger.error({ err, users }, 'could not publish a roster change to the other nodes');
      });
    }
  });

  subscriber.on('message', (from: string, raw: string) => {
    if (from !== channel) return;
    let parsed: z.infer<typeof invalidation>;
    try {
      parsed = invalidation.parse(JSON.parse(raw));
    } catch (err) {
      logger.warn({ err, channel }, 'ignored a malformed roster invalidation');
      return;
    }
    if (parsed.from !== options.nodeId()) relations.forget(...parsed.users);
  });

  let connectedOnce = false;
  subscriber.on('ready', () => {
    // ioredis resubscribes by itself; what was published in between is lost, so forget it all.
    if (connectedOnce) {
      logger.warn('roster invalidations may have been missed while Redis was away; dropping the cache');
      relations.forgetAll();
    }
    connectedOnce = true;
  });
  if (subscriber.status === 'ready') connectedOnce = true;

  await subscriber.subscribe(channel);
  return async () => {
    relations.onChanged(() => {});
    await subscriber.unsubscribe(channel);
  };
}
