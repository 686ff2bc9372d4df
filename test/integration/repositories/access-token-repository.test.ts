import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessTokenKey,
  dynamoAccessTokenRepository,
} from '../../../functions/adapters/dynamodb/access-token-repository.ts';
import type { AccessToken, AccessTokenRepository } from '../../../functions/use-cases/ports.ts';
import { type LocalTable, startLocalTable } from '../../support/local-dynamodb.ts';

let table: LocalTable;
let tokens: AccessTokenRepository;

beforeAll(async () => {
  table = await startLocalTable();
  tokens = dynamoAccessTokenRepository(table);
});
afterAll(() => table?.stop());

const now = new Date('2025-03-15T09:30:00.000Z');
const expiresAt = '2025-03-22T09:30:00.000Z';

/** A stored, unused token valid until `expiresAt`. */
async function storedToken(): Promise<AccessToken> {
  const token: AccessToken = {
    tokenHash: randomBytes(32).toString('hex'),
    address: 'mario.rossi@pec.it',
    orderId: '5390075470AB',
    expiresAt,
  };
  await tokens.put(token);
  return token;
}

describe('DynamoDB access token repository', () => {
  it('stores a token under its hash, to be deleted by TTL a week after it expires', async () => {
    const token = await storedToken();

    expect(await table.item(accessTokenKey(token.tokenHash))).toEqual({
      ...accessTokenKey(token.tokenHash),
      ...token,
      ttl: Date.parse(expiresAt) / 1000 + 7 * 24 * 3600,
    });
    await expect(tokens.put(token)).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
  });

  it('lets exactly one of many concurrent claims have the token', async () => {
    const token = await storedToken();

    const answers = await Promise.all(Array.from({ length: 25 }, () => tokens.claim(token.tokenHash, now)));

    const claimed = answers.filter((answer) => answer.result === 'claimed');
    expect(claimed).toEqual([{ result: 'claimed', token }]);
    expect(answers.filter((answer) => answer.result === 'used')).toHaveLength(24);
    expect(await table.item(accessTokenKey(token.tokenHash))).toMatchObject({ usedAt: now.toISOString() });
  });

  it('answers used to a claim of a used token', async () => {
    const token = await storedToken();
    await tokens.claim(token.tokenHash, now);

    expect(await tokens.claim(token.tokenHash, now)).toEqual({ result: 'used' });
  });

  it('answers expired to a claim after the expiry, and leaves the token unused', async () => {
    const token = await storedToken();

    expect(await tokens.claim(token.tokenHash, new Date(expiresAt))).toEqual({ result: 'expired' });
    expect(await table.item(accessTokenKey(token.tokenHash))).not.toHaveProperty('usedAt');
  });

  it('answers unknown to a claim of a token never stored, and stores nothing', async () => {
    const tokenHash = randomBytes(32).toString('hex');

    expect(await tokens.claim(tokenHash, now)).toEqual({ result: 'unknown' });
    expect(await table.item(accessTokenKey(tokenHash))).toBeUndefined();
  });

  it('makes a token claimable again once given back', async () => {
    const token = await storedToken();
    await tokens.claim(token.tokenHash, now);

    await tokens.unclaim(token.tokenHash);

    expect(await tokens.claim(token.tokenHash, now)).toEqual({ result: 'claimed', token });
    expect(await tokens.claim(token.tokenHash, now)).toEqual({ result: 'used' });
  });
});
