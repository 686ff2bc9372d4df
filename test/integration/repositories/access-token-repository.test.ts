import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessLinkKey,
  accessTokenKey,
  dynamoAccessTokenRepository,
} from '../../../functions/adapters/dynamodb/access-token-repository.ts';
import type { AccessLinkPurpose } from '../../../functions/domain/access-links.ts';
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
let mailboxes = 0;

/** A mailbox address of its own for each test. */
const freshAddress = () => `holder.${mailboxes++}@pec.it`;

/** Issues an unused token valid until `expiresAt`. */
async function issued(address = freshAddress(), purpose: AccessLinkPurpose = 'first_access'): Promise<AccessToken> {
  const token: AccessToken = {
    tokenHash: randomBytes(32).toString('hex'),
    address,
    orderId: '5390075470AB',
    purpose,
    expiresAt,
  };
  await tokens.issue(token);
  return token;
}

describe('DynamoDB access token repository', () => {
  it('stores a token under its hash and as the mailbox link of its purpose, both deleted by TTL a week after expiry', async () => {
    const token = await issued();
    const ttl = Date.parse(expiresAt) / 1000 + 7 * 24 * 3600;

    expect(await table.item(accessTokenKey(token.tokenHash))).toEqual({
      ...accessTokenKey(token.tokenHash),
      ...token,
      ttl,
    });
    expect(await table.item(accessLinkKey(token.address, 'first_access'))).toEqual({
      ...accessLinkKey(token.address, 'first_access'),
      tokenHash: token.tokenHash,
      expiresAt,
      ttl,
    });
    await expect(tokens.issue(token)).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
  });

  it('lets exactly one of many concurrent claims have the token', async () => {
    const token = await issued();

    const answers = await Promise.all(Array.from({ length: 25 }, () => tokens.claim(token.tokenHash, now)));

    const claimed = answers.filter((answer) => answer.result === 'claimed');
    expect(claimed).toEqual([{ result: 'claimed', token }]);
    expect(answers.filter((answer) => answer.result === 'used')).toHaveLength(24);
    expect(await table.item(accessLinkKey(token.address, 'first_access'))).toMatchObject({
      usedAt: now.toISOString(),
    });
  });

  it('answers used to a claim of a used token', async () => {
    const token = await issued();
    await tokens.claim(token.tokenHash, now);

    expect(await tokens.claim(token.tokenHash, now)).toEqual({ result: 'used' });
  });

  it('answers expired to a claim after the expiry, and leaves the token unused', async () => {
    const token = await issued();

    expect(await tokens.claim(token.tokenHash, new Date(expiresAt))).toEqual({ result: 'expired' });
    expect(await table.item(accessLinkKey(token.address, 'first_access'))).not.toHaveProperty('usedAt');
  });

  it('answers unknown to a claim of a token never stored, and stores nothing', async () => {
    const tokenHash = randomBytes(32).toString('hex');
    const before = (await table.scan()).length;

    expect(await tokens.claim(tokenHash, now)).toEqual({ result: 'unknown' });
    expect(await table.item(accessTokenKey(tokenHash))).toBeUndefined();
    expect(await table.scan()).toHaveLength(before);
  });

  it('makes a token claimable again once given back', async () => {
    const token = await issued();
    await tokens.claim(token.tokenHash, now);

    await tokens.unclaim(token);

    expect(await tokens.claim(token.tokenHash, now)).toEqual({ result: 'claimed', token });
    expect(await tokens.claim(token.tokenHash, now)).toEqual({ result: 'used' });
  });

  it('revokes the earlier unused link of the same mailbox and purpose when a new one is issued', async () => {
    const address = freshAddress();
    const first = await issued(address);
    const second = await issued(address);

    expect(await tokens.claim(first.tokenHash, now)).toEqual({ result: 'revoked' });
    expect(await tokens.claim(second.tokenHash, now)).toEqual({ result: 'claimed', token: second });
  });

  it('answers revoked, not used, for a used link once a newer one exists', async () => {
    const address = freshAddress();
    const first = await issued(address, 'reset');
    await tokens.claim(first.tokenHash, now);
    await issued(address, 'reset');

    expect(await tokens.claim(first.tokenHash, now)).toEqual({ result: 'revoked' });
  });

  it('keeps the links of the two purposes apart, and of other mailboxes', async () => {
    const address = freshAddress();
    const firstAccess = await issued(address, 'first_access');
    const reset = await issued(address, 'reset');
    await issued(freshAddress(), 'first_access');

    expect(await tokens.claim(firstAccess.tokenHash, now)).toMatchObject({ result: 'claimed' });
    expect(await tokens.claim(reset.tokenHash, now)).toMatchObject({ result: 'claimed' });
  });

  it('does not bring back a revoked link when a claim of it is given back', async () => {
    const address = freshAddress();
    const first = await issued(address);
    await tokens.claim(first.tokenHash, now);
    const second = await issued(address);

    await tokens.unclaim(first);

    expect(await tokens.claim(first.tokenHash, now)).toEqual({ result: 'revoked' });
    expect(await tokens.claim(second.tokenHash, now)).toMatchObject({ result: 'claimed' });
  });

  it('lets no claim of an old link through while new links are issued concurrently', async () => {
    const address = freshAddress();
    const old = await issued(address);

    const [claim] = await Promise.all([tokens.claim(old.tokenHash, now), issued(address), issued(address)]);

    // Either the claim came first (and the old link was used) or the issue did (and it was revoked).
    expect(['claimed', 'revoked']).toContain(claim.result);
    expect(await tokens.claim(old.tokenHash, now)).toEqual({ result: 'revoked' });
  });
});
