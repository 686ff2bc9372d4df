import { scrypt } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoMailPlatform, platformAccountKey } from '../../../functions/adapters/dynamodb-mail-platform.ts';
import { ErrorName, ProvisioningImpossibleError } from '../../../functions/domain/errors.ts';
import type { MailPlatform } from '../../../functions/use-cases/ports.ts';
import { freshAddress } from '../../support/fixtures.ts';
import { type LocalTable, startLocalTable } from '../../support/local-dynamodb.ts';
import { setSpaceInUse } from '../../support/mail-platform-table.ts';

let table: LocalTable;
let platform: MailPlatform;

beforeAll(async () => {
  table = await startLocalTable();
  platform = dynamoMailPlatform(table);
});
afterAll(() => table?.stop());

const PASSWORD = 'Corretto-Cavallo-42!';
const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

describe('DynamoDB mail platform', () => {
  it('creates an account with its quota, and treats creating it again with the same quota as done', async () => {
    const address = freshAddress();

    await platform.createMailbox({ address, mailboxGb: 2, archiveGb: 3 });
    await platform.createMailbox({ address, mailboxGb: 2, archiveGb: 3 });

    expect(await table.item(platformAccountKey(address))).toEqual({
      ...platformAccountKey(address),
      address,
      mailboxGb: 2,
      archiveGb: 3,
      state: 'active',
    });
  });

  it('refuses an account that exists with another quota, and keeps the existing one', async () => {
    const address = freshAddress();
    await platform.createMailbox({ address, mailboxGb: 1, archiveGb: 0 });

    const attempt = platform.createMailbox({ address, mailboxGb: 2, archiveGb: 8 });

    await expect(attempt).rejects.toBeInstanceOf(ProvisioningImpossibleError);
    await expect(attempt).rejects.toMatchObject({
      code: 'provisioning_impossible',
      name: ErrorName.ProvisioningImpossibleError,
    });
    expect(await table.item(platformAccountKey(address))).toMatchObject({ mailboxGb: 1, archiveGb: 0 });
  });

  it('stores an scrypt hash of the password, never the password', async () => {
    const address = freshAddress();
    await platform.createMailbox({ address, mailboxGb: 1, archiveGb: 0 });

    await platform.setPassword(address, PASSWORD);

    const stored = String((await table.item(platformAccountKey(address)))?.passwordHash);
    const [scheme, n, r, p, salt, hash, ...rest] = stored.split('$');
    expect([scheme, n, r, p, rest]).toEqual(['scrypt', '16384', '8', '1', []]);
    expect(Buffer.from(salt ?? '', 'base64')).toHaveLength(16);
    // The hash verifies the password with its salt, and only that password.
    const recomputed = await scryptAsync(PASSWORD, Buffer.from(salt ?? '', 'base64'), 64);
    expect(recomputed.toString('base64')).toBe(hash);
    const wrong = await scryptAsync('Corretto-Cavallo-43!', Buffer.from(salt ?? '', 'base64'), 64);
    expect(wrong.toString('base64')).not.toBe(hash);

    const everything = JSON.stringify(await table.scan());
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(Buffer.from(PASSWORD).toString('base64'));
  });

  it("creates an account with a credential made beforehand (a reseller's initial password), which only that password matches", async () => {
    const address = freshAddress();
    const credential = await platform.credentialOf(PASSWORD);
    expect(credential).not.toContain(PASSWORD);

    await platform.createMailbox({ address, mailboxGb: 1, archiveGb: 0, credential });
    // A retry finds the account as it is, password included.
    await platform.createMailbox({ address, mailboxGb: 1, archiveGb: 0, credential });

    const stored = String((await table.item(platformAccountKey(address)))?.passwordHash);
    expect(stored).toBe(credential);
    const [, , , , salt, hash] = stored.split('$');
    const recomputed = await scryptAsync(PASSWORD, Buffer.from(salt ?? '', 'base64'), 64);
    expect(recomputed.toString('base64')).toBe(hash);
    expect(await platform.credentialOf(PASSWORD)).not.toBe(credential);
  });

  it('salts every password on its own', async () => {
    const first = freshAddress();
    const second = freshAddress();
    await platform.createMailbox({ address: first, mailboxGb: 1, archiveGb: 0 });
    await platform.createMailbox({ address: second, mailboxGb: 1, archiveGb: 0 });

    await platform.setPassword(first, PASSWORD);
    await platform.setPassword(second, PASSWORD);

    const hashOf = async (address: string) => (await table.item(platformAccountKey(address)))?.passwordHash;
    expect(await hashOf(first)).not.toBe(await hashOf(second));
  });

  it('sets no password for an account that does not exist, and creates none', async () => {
    const address = freshAddress();

    await expect(platform.setPassword(address, PASSWORD)).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
    });
    expect(await table.item(platformAccountKey(address))).toBeUndefined();
  });

  it('reports the space in use the mail servers recorded, nothing for an account without any or none at all', async () => {
    const address = freshAddress();
    await platform.createMailbox({ address, mailboxGb: 2, archiveGb: 3 });

    expect(await platform.usage(address)).toEqual({ mailboxBytes: 0, archiveBytes: 0 });
    await setSpaceInUse(table, address, { mailboxBytes: 1_500_000_000, archiveBytes: 42 });
    expect(await platform.usage(address)).toEqual({ mailboxBytes: 1_500_000_000, archiveBytes: 42 });
    expect(await platform.usage(freshAddress())).toEqual({ mailboxBytes: 0, archiveBytes: 0 });
  });

  it('sets the quota of an account, keeping its password and usage; creates no account', async () => {
    const address = freshAddress();
    await platform.createMailbox({ address, mailboxGb: 1, archiveGb: 0 });
    await platform.setPassword(address, PASSWORD);
    await setSpaceInUse(table, address, { mailboxBytes: 7, archiveBytes: 0 });

    await platform.setQuota(address, { mailboxGb: 4, archiveGb: 8 });
    await platform.setQuota(address, { mailboxGb: 4, archiveGb: 8 });

    expect(await table.item(platformAccountKey(address))).toMatchObject({
      mailboxGb: 4,
      archiveGb: 8,
      mailboxBytes: 7,
      passwordHash: expect.stringMatching(/^scrypt\$/),
    });
    const missing = freshAddress();
    await platform.setQuota(missing, { mailboxGb: 1, archiveGb: 0 });
    expect(await table.item(platformAccountKey(missing))).toBeUndefined();
  });
});
