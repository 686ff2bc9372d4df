import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AccessLinkPurpose } from '../../domain/access-links.ts';
import type { AccessToken, AccessTokenRepository } from '../../use-cases/ports.ts';
import { isConditionFailed, stripKeys, type Table } from './table.ts';

/** A token's record, keyed by the token's SHA-256: the token itself is never stored. */
export const accessTokenKey = (tokenHash: string) => ({ pk: `ACCESS#${tokenHash}`, sk: 'ACCESS' });

/**
 * A mailbox's current link of one purpose: the hash of the one token of that purpose that may be
 * used, its expiry, and when it was used. Issuing a token overwrites it, which revokes the previous
 * token in the same write; claiming a token is one conditional update of it.
 */
export const accessLinkKey = (address: string, purpose: AccessLinkPurpose) => ({
  pk: `ACCESSLINK#${address}`,
  sk: purpose,
});

interface AccessLink {
  tokenHash: string;
  expiresAt: string;
  usedAt?: string;
}

/** DynamoDB deletes both items by TTL a week after the token stops being usable. */
const ttlOf = (expiresAt: string) => Math.floor(Date.parse(expiresAt) / 1000) + 7 * 24 * 3600;

export function dynamoAccessTokenRepository(table: Table): AccessTokenRepository {
  const { client, tableName } = table;
  const read = async (key: { pk: string; sk: string }) =>
    (await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;

  return {
    async issue(token) {
      const ttl = ttlOf(token.expiresAt);
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...accessTokenKey(token.tokenHash), ...token, ttl },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      // Only now does the token work: a failure before this line leaves the previous link usable.
      const link: AccessLink = { tokenHash: token.tokenHash, expiresAt: token.expiresAt };
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...accessLinkKey(token.address, token.purpose), ...link, ttl },
        }),
      );
    },

    async claim(tokenHash, now) {
      const record = await read(accessTokenKey(tokenHash));
      if (!record) return { result: 'unknown' };
      const token = stripKeys<AccessToken>(record);
      const linkKey = accessLinkKey(token.address, token.purpose);
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: linkKey,
            ConditionExpression: 'tokenHash = :hash AND attribute_not_exists(usedAt) AND expiresAt > :now',
            UpdateExpression: 'SET usedAt = :now',
            ExpressionAttributeValues: { ':hash': tokenHash, ':now': now.toISOString() },
          }),
        );
        return { result: 'claimed', token };
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
      // The claim failed: say why, from the link as it is now.
      const link = (await read(linkKey)) as AccessLink | undefined;
      if (link?.tokenHash !== tokenHash) return { result: 'revoked' };
      return { result: link.usedAt ? 'used' : 'expired' };
    },

    async unclaim(token) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: accessLinkKey(token.address, token.purpose),
            ConditionExpression: 'tokenHash = :hash',
            UpdateExpression: 'REMOVE usedAt',
            ExpressionAttributeValues: { ':hash': token.tokenHash },
          }),
        );
      } catch (error) {
        // A newer link was issued meanwhile: this one stays revoked.
        if (!isConditionFailed(error)) throw error;
      }
    },
  };
}
