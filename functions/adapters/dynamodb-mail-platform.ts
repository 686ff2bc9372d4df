import { randomBytes, scrypt as scryptCallback } from 'node:crypto';
import { promisify } from 'node:util';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ProvisioningImpossibleError } from '../domain/errors.ts';
import type { MailPlatform } from '../use-cases/ports.ts';
import { type Table, writeIf } from './dynamodb/table.ts';

const scrypt = promisify(scryptCallback) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

/**
 * The mail platform as a table of accounts: what the PEC mail servers read to accept logins and
 * enforce quotas. The default implementation of the `MailPlatform` port; a platform with its own
 * provisioning API plugs in behind the same port.
 */
export const platformAccountKey = (address: string) => ({ pk: `PLATFORM#${address}`, sk: 'ACCOUNT' });

/** scrypt with a per-account salt (N=16384, r=8, p=1): the platform never holds the password itself. */
async function passwordHash(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 64);
  return `scrypt$16384$8$1$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export function dynamoMailPlatform(table: Table): MailPlatform {
  const { client, tableName } = table;
  return {
    async createMailbox({ address, mailboxGb, archiveGb, credential }) {
      const created = await writeIf(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...platformAccountKey(address),
              address,
              mailboxGb,
              archiveGb,
              state: 'active',
              ...(credential ? { passwordHash: credential } : {}),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      if (created) return;
      // The account exists: a retry finds its own (same quota, left as it is, password included);
      // an account with another quota means something else owns the address.
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: platformAccountKey(address), ConsistentRead: true }),
      );
      if (Item?.mailboxGb !== mailboxGb || Item?.archiveGb !== archiveGb) {
        throw new ProvisioningImpossibleError(`The mail platform already has a different account for ${address}.`);
      }
    },

    async setReceiveOnly(address, receiveOnly) {
      await writeIf(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: platformAccountKey(address),
            ConditionExpression: 'attribute_exists(pk)',
            UpdateExpression: 'SET #state = :state',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':state': receiveOnly ? 'receive_only' : 'active' },
          }),
        ),
      );
    },

    async deleteMailbox(address) {
      await client.send(new DeleteCommand({ TableName: tableName, Key: platformAccountKey(address) }));
    },

    async usage(address) {
      // The mail servers keep each account's usage on its item as they store and archive messages.
      const { Item } = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: platformAccountKey(address),
          ProjectionExpression: 'mailboxBytes, archiveBytes',
          ConsistentRead: true,
        }),
      );
      const bytes = (value: unknown) => (typeof value === 'number' && value > 0 ? value : 0);
      return { mailboxBytes: bytes(Item?.mailboxBytes), archiveBytes: bytes(Item?.archiveBytes) };
    },

    async setQuota(address, { mailboxGb, archiveGb }) {
      await writeIf(() =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: platformAccountKey(address),
            ConditionExpression: 'attribute_exists(pk)',
            UpdateExpression: 'SET mailboxGb = :mailboxGb, archiveGb = :archiveGb',
            ExpressionAttributeValues: { ':mailboxGb': mailboxGb, ':archiveGb': archiveGb },
          }),
        ),
      );
    },

    credentialOf: passwordHash,

    async setPassword(address, password) {
      const hash = await passwordHash(password);
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: platformAccountKey(address),
          ConditionExpression: 'attribute_exists(pk)',
          UpdateExpression: 'SET passwordHash = :hash',
          ExpressionAttributeValues: {
            ':hash': hash,
          },
        }),
      );
    },
  };
}
