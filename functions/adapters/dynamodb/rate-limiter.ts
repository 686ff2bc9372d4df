import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { RateLimiter } from '../../use-cases/ports.ts';
import { type Table, updateIf } from './table.ts';

/** One item per limited action and subject (a mailbox address). */
export const rateLimitKey = (name: string, subject: string) => ({ pk: `RATE#${name}#${subject}`, sk: 'RATE' });

/**
 * A sliding-window rate limiter on one item per subject, with one slot per request the limit lets
 * through (`s0`, `s1`...), each holding the time (epoch ms) of the request that took it.
 *
 * A request takes a slot that is empty or whose request is older than the window, with one
 * conditional write per slot tried: of any number of concurrent requests, each slot goes to exactly
 * one, and a slot taken at `t` cannot be taken again before `t + window`. So at most `requests` get
 * through in any window, never more, and no count is ever read first and written after. DynamoDB
 * deletes the item by TTL once its last request is out of the window.
 */
export function dynamoRateLimiter(table: Table): RateLimiter {
  return {
    async hit(limit, subject, now) {
      const key = rateLimitKey(limit.name, subject);
      const windowMs = limit.windowSeconds * 1000;
      for (let slot = 0; slot < limit.requests; slot++) {
        const taken = await updateIf(table, {
          Key: key,
          ConditionExpression: 'attribute_not_exists(#slot) OR #slot <= :cutoff',
          UpdateExpression: 'SET #slot = :now, #ttl = :ttl',
          ExpressionAttributeNames: { '#slot': `s${slot}`, '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':now': now.getTime(),
            ':cutoff': now.getTime() - windowMs,
            ':ttl': Math.ceil((now.getTime() + windowMs) / 1000),
          },
        });
        if (taken) return { allowed: true };
      }
      // Every slot is taken: the oldest frees first.
      const { Item } = await table.client.send(
        new GetCommand({ TableName: table.tableName, Key: key, ConsistentRead: true }),
      );
      const times = Array.from({ length: limit.requests }, (_, slot) => Number(Item?.[`s${slot}`] ?? 0));
      const freeAt = Math.min(...times) + windowMs;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((freeAt - now.getTime()) / 1000)) };
    },
  };
}
