import { CopyObjectCommand, GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { s3StatementFiles } from '../../../functions/adapters/s3-statement-files.ts';

const s3 = mockClient(S3Client);
const files = s3StatementFiles({ client: new S3Client({}), bucket: 'pec-statements' });
afterEach(() => {
  s3.reset();
});

/** A GetObject body as the SDK gives it: a stream that can turn itself into text (decoded as asked). */
const body = (text: string) =>
  ({
    transformToString: async (encoding?: string) => Buffer.from(text, 'utf8').toString(encoding as BufferEncoding),
  }) as never;
const noSuchKey = () => new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} });

describe('S3 statement files', () => {
  it('reads a file as UTF-8 text', async () => {
    s3.on(GetObjectCommand, { Bucket: 'pec-statements', Key: 'incoming/camt054.xml' }).resolves({
      Body: body('<Document>è</Document>'),
    });
    expect(await files.read('incoming/camt054.xml')).toEqual({
      key: 'incoming/camt054.xml',
      text: '<Document>è</Document>',
    });
  });

  it('reads a key given URL-encoded, as S3 event notifications give it, under its real name', async () => {
    s3.on(GetObjectCommand, { Key: 'incoming/estratto+conto%281%29.xml' }).rejects(noSuchKey());
    s3.on(GetObjectCommand, { Key: 'incoming/estratto conto(1).xml' }).resolves({ Body: body('<Document/>') });
    expect(await files.read('incoming/estratto+conto%281%29.xml')).toEqual({
      key: 'incoming/estratto conto(1).xml',
      text: '<Document/>',
    });
  });

  it('lets any other failure through, and a missing key that decodes to itself', async () => {
    s3.on(GetObjectCommand).rejects(noSuchKey());
    await expect(files.read('incoming/gone.xml')).rejects.toMatchObject({ name: 'NoSuchKey' });
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(1);
  });

  it('sets a refused file aside: a copy under rejected/ (source URL-encoded) and its problems beside it', async () => {
    s3.on(CopyObjectCommand).resolves({});
    s3.on(PutObjectCommand).resolves({});
    const problems = [{ path: '(body)', message: 'Not well-formed XML' }];

    expect(await files.reject('incoming/2026/estratto conto.xml', problems)).toBe('rejected/2026/estratto conto.xml');

    expect(s3.commandCalls(CopyObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'pec-statements',
      Key: 'rejected/2026/estratto conto.xml',
      CopySource: 'pec-statements/incoming/2026/estratto%20conto.xml',
    });
    const put = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(put).toMatchObject({
      Key: 'rejected/2026/estratto conto.xml.problems.json',
      ContentType: 'application/json',
    });
    expect(JSON.parse(String(put?.Body))).toEqual({ key: 'incoming/2026/estratto conto.xml', problems });
  });
});
