import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AccessToken, AccessTokenRepository } from '../../use-cases/ports.ts';
import { isConditionFailed, stripKeys, type Table } from './table.ts';

/** First-access tokens, keyed by the token's SHA-256: the token itself is never stored. */
export const accessTokenKey = (tokenHash: string) => ({ pk: `ACCESS#${tokenHash}`, sk: 'ACCESS' });

type StoredToken = AccessToken & { usedAt?: string };

export function dynamoAccessTokenRepository(table: Table): AccessTokenRepository {
  const { client, tableName } = table;
  return {
    async put(token) {
      // `ttl` lets DynamoDB delete the item a week after it stops being usable.
      const ttl = Math.floor(Date.parse(token.expiresAt) / 1000) + 7 * 24 * 3600;
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...accessTokenKey(token.tokenHash), ...token, ttl },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    },

    async claim(tokenHash, now) {
      try {
        const { Attributes } = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: accessTokenKey(tokenHash),
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(usedAt) AND expiresAt > :now',
            UpdateExpression: 'SET usedAt = :now',
            ExpressionAttributeValues: { ':now': now.toISOString() },
            ReturnValues: 'ALL_NEW',
          }),
        );
        const { usedAt: _usedAt, ...token } = stripKeys<StoredToken>(Attributes ?? {});
        return { result: 'claimed', token };
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
      // The claim failed: say why, from the item as it is now.
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: accessTokenKey(tokenHash), ConsistentRead: true }),
      );
      if (!Item) return { result: 'unknown' };
      return { result: Item.usedAt ? 'used' : 'expired' };
    },

    async unclaim(tokenHash) {
      await client.send(
        new UpdateCommand({ TableName: tableName, Key: accessTokenKey(tokenHash), UpdateExpression: 'REMOVE usedAt' }),
      );
    },
  };
}
