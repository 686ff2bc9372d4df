import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAwsChunked, type LocalS3Server, startS3Server } from '../../../local/aws/s3-server.ts';

let server: LocalS3Server;
let s3: S3Client;

const errorOf = (promise: Promise<unknown>): Promise<{ name: string; status?: number }> =>
  promise.then(
    () => ({ name: 'no error' }),
    (error: Error & { $metadata?: { httpStatusCode?: number } }) => ({
      name: error.name,
      status: error.$metadata?.httpStatusCode,
    }),
  );

beforeAll(async () => {
  server = await startS3Server();
  s3 = new S3Client({
    endpoint: server.endpoint,
    forcePathStyle: true,
    region: 'eu-south-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  s3.destroy();
  await server.stop();
});

describe('local S3', () => {
  it('stores an object with its content type and metadata, and serves it back', async () => {
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'invoices',
        Key: 'orders/2025/ord 1+è.xml',
        Body: '<FatturaElettronica versione="FPR12"/>',
        ContentType: 'application/xml',
        Metadata: { 'order-id': 'ord_1' },
      }),
    );
    expect(put.ETag).toMatch(/^"[0-9a-f]{32}"$/);

    const got = await s3.send(new GetObjectCommand({ Bucket: 'invoices', Key: 'orders/2025/ord 1+è.xml' }));
    expect(await got.Body?.transformToString()).toBe('<FatturaElettronica versione="FPR12"/>');
    expect(got.ContentType).toBe('application/xml');
    expect(got.Metadata).toEqual({ 'order-id': 'ord_1' });
    expect(got.ETag).toBe(put.ETag);
    expect(got.ContentLength).toBe(38);

    const head = await s3.send(new HeadObjectCommand({ Bucket: 'invoices', Key: 'orders/2025/ord 1+è.xml' }));
    expect(head.ContentLength).toBe(38);
    expect(head.Metadata).toEqual({ 'order-id': 'ord_1' });
    expect(head.LastModified).toBeInstanceOf(Date);

    expect(server.objects('invoices').get('orders/2025/ord 1+è.xml')?.toString()).toBe(
      '<FatturaElettronica versione="FPR12"/>',
    );
  });

  it('stores binary bodies and streams (sent aws-chunked with a trailing checksum) byte for byte', async () => {
    const binary = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
    await s3.send(new PutObjectCommand({ Bucket: 'blobs', Key: 'binary.bin', Body: binary }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'blobs', Key: 'binary.bin' }));
    expect(Buffer.from((await got.Body?.transformToByteArray()) ?? [])).toEqual(binary);

    await s3.send(
      new PutObjectCommand({
        Bucket: 'blobs',
        Key: 'stream.txt',
        Body: Readable.from([Buffer.from('chunk one, '), Buffer.from('chunk two')]),
        ContentLength: 20,
      }),
    );
    expect(server.objects('blobs').get('stream.txt')?.toString()).toBe('chunk one, chunk two');

    const range = await s3.send(new GetObjectCommand({ Bucket: 'blobs', Key: 'stream.txt', Range: 'bytes=6-8' }));
    expect(await range.Body?.transformToString()).toBe('one');
    expect(range.ContentRange).toBe('bytes 6-8/20');
  });

  it('decodes aws-chunked bodies with trailing checksums', () => {
    const raw = Buffer.from(
      '5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n',
    );
    expect(decodeAwsChunked(raw)).toEqual({
      body: Buffer.from('hello world'),
      trailers: { 'x-amz-checksum-crc32': 'DUoRhQ==' },
    });
  });

  it('lists objects by prefix and delimiter, page by page', async () => {
    for (const key of ['a/1', 'a/2', 'a/3', 'a/sub/4', 'b/5']) {
      await s3.send(new PutObjectCommand({ Bucket: 'listing', Key: key, Body: key }));
    }
    const all = await s3.send(new ListObjectsV2Command({ Bucket: 'listing' }));
    expect(all.KeyCount).toBe(5);
    expect(all.IsTruncated).toBe(false);
    expect(all.Contents?.map((object) => [object.Key, object.Size])).toEqual([
      ['a/1', 3],
      ['a/2', 3],
      ['a/3', 3],
      ['a/sub/4', 7],
      ['b/5', 3],
    ]);

    const folder = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'a/', Delimiter: '/' }));
    expect(folder.Contents?.map((object) => object.Key)).toEqual(['a/1', 'a/2', 'a/3']);
    expect(folder.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/sub/']);

    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'a/', MaxKeys: 2, ContinuationToken: token }),
      );
      keys.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
      token = page.NextContinuationToken;
    } while (token);
    expect(keys).toEqual(['a/1', 'a/2', 'a/3', 'a/sub/4']);
  });

  it('deletes objects and answers the S3 errors for what does not exist', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'trash', Key: 'gone.txt', Body: 'x' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'trash', Key: 'gone.txt' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'trash', Key: 'never-there.txt' }));
    expect(server.objects('trash').size).toBe(0);

    expect(await errorOf(s3.send(new GetObjectCommand({ Bucket: 'trash', Key: 'gone.txt' })))).toEqual({
      name: 'NoSuchKey',
      status: 404,
    });
    expect(await errorOf(s3.send(new HeadObjectCommand({ Bucket: 'trash', Key: 'gone.txt' })))).toEqual({
      name: 'NotFound',
      status: 404,
    });
    expect(await errorOf(s3.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' })))).toEqual({
      name: 'NoSuchBucket',
      status: 404,
    });
    expect(server.objects('no-such-bucket').size).toBe(0);
  });

  it('honours If-None-Match on PutObject (conditional writes)', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'once', Key: 'k', Body: 'first', IfNoneMatch: '*' }));
    const second = await errorOf(
      s3.send(new PutObjectCommand({ Bucket: 'once', Key: 'k', Body: 'second', IfNoneMatch: '*' })),
    );
    expect(second).toEqual({ name: 'PreconditionFailed', status: 412 });
    expect(server.objects('once').get('k')?.toString()).toBe('first');
  });
});
