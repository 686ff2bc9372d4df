import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoRateLimiter, rateLimitKey } from '../../../functions/adapters/dynamodb/rate-limiter.ts';
import type { RateLimit } from '../../../functions/domain/access-links.ts';
import type { RateLimiter } from '../../../functions/use-cases/ports.ts';
import { type LocalTable, startLocalTable } from '../../support/local-dynamodb.ts';

let table: LocalTable;
let limiter: RateLimiter;

beforeAll(async () => {
  table = await startLocalTable();
  limiter = dynamoRateLimiter(table);
});
afterAll(() => table?.stop());

const HOUR = 3600 * 1000;
const limit: RateLimit = { name: 'test-limit', requests: 5, windowSeconds: 24 * 3600 };
const t0 = new Date('2025-03-15T09:30:00.000Z');
const at = (hours: number) => new Date(t0.getTime() + hours * HOUR);
let subjects = 0;
const freshSubject = () => `subject.${subjects++}@pec.it`;

describe('DynamoDB rate limiter', () => {
  it('lets exactly 5 of 20 concurrent requests through', async () => {
    const subject = freshSubject();

    const decisions = await Promise.all(Array.from({ length: 20 }, () => limiter.hit(limit, subject, t0)));

    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(5);
    expect(decisions.filter((decision) => !decision.allowed)).toEqual(
      Array.from({ length: 15 }, () => ({ allowed: false, retryAfterSeconds: 24 * 3600 })),
    );
  });

  it('slides: a request is let through again once the oldest of the 5 is 24 hours old, not before', async () => {
    const subject = freshSubject();
    for (const hour of [0, 1, 2, 3, 4]) expect(await limiter.hit(limit, subject, at(hour))).toEqual({ allowed: true });

    expect(await limiter.hit(limit, subject, at(23.5))).toEqual({ allowed: false, retryAfterSeconds: 1800 });
    expect(await limiter.hit(limit, subject, at(24))).toEqual({ allowed: true });
    // The next slot frees when the request of hour 1 is 24 hours old.
    expect(await limiter.hit(limit, subject, at(24))).toEqual({ allowed: false, retryAfterSeconds: 3600 });
  });

  it('counts each subject and each limit on its own, in an item DynamoDB deletes once its window is over', async () => {
    const subject = freshSubject();
    const other: RateLimit = { ...limit, name: 'other-limit' };
    for (let i = 0; i < 5; i++) await limiter.hit(limit, subject, t0);

    expect(await limiter.hit(limit, freshSubject(), t0)).toEqual({ allowed: true });
    expect(await limiter.hit(other, subject, t0)).toEqual({ allowed: true });
    expect(await table.item(rateLimitKey(limit.name, subject))).toMatchObject({
      s0: t0.getTime(),
      s4: t0.getTime(),
      ttl: at(24).getTime() / 1000,
    });
  });
});
