import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalS3Server, startS3Server } from '../../../local/aws/s3-server.ts';

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
  server = await startS3Server({ buckets: ['audit', 'statements'] });
  s3 = new S3Client({
    endpoint: server.endpoint,
    forcePathStyle: true,
    region: 'eu-south-1',
    credentials: { accessKeyId: 'local-complete-order', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  s3.destroy();
  await server.stop();
});

describe('local S3', () => {
  it("stores the product's PutObject (a JSON string, with its checksum) under its decoded key", async () => {
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'audit',
        Key: 'orders/ord 1+è/paid.json',
        Body: JSON.stringify({ orderId: 'ord 1+è', event: 'paid' }),
        ContentType: 'application/json',
      }),
    );
    expect(put.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    const objects = server.objects('audit');
    expect([...objects.keys()]).toEqual(['orders/ord 1+è/paid.json']);
    expect(JSON.parse(objects.get('orders/ord 1+è/paid.json')?.toString('utf8') ?? '')).toEqual({
      orderId: 'ord 1+è',
      event: 'paid',
    });
  });

  it('answers NoSuchBucket for a bucket it was not given, and NotImplemented for what the product does not call', async () => {
    expect(await errorOf(s3.send(new PutObjectCommand({ Bucket: 'other', Key: 'k', Body: 'x' })))).toEqual({
      name: 'NoSuchBucket',
      status: 404,
    });
    expect(
      await errorOf(s3.send(new DeleteObjectCommand({ Bucket: 'audit', Key: 'orders/ord 1+è/paid.json' }))),
    ).toEqual({ name: 'NotImplemented', status: 501 });
    const stream = Readable.from([Buffer.from('a stream')]);
    expect(
      await errorOf(s3.send(new PutObjectCommand({ Bucket: 'audit', Key: 'stream', Body: stream, ContentLength: 8 }))),
    ).toEqual({ name: 'NotImplemented', status: 501 });
    expect([...server.objects('audit').keys()]).toEqual(['orders/ord 1+è/paid.json']);
  });

  it('answers GetObject with an object put from outside the product, or NoSuchKey', async () => {
    server.put('statements', 'incoming/estratto conto+1.xml', Buffer.from('<Document>è</Document>'));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'statements', Key: 'incoming/estratto conto+1.xml' }));
    expect(await got.Body?.transformToString('utf-8')).toBe('<Document>è</Document>');
    expect(got.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(await errorOf(s3.send(new GetObjectCommand({ Bucket: 'statements', Key: 'incoming/none.xml' })))).toEqual({
      name: 'NoSuchKey',
      status: 404,
    });
  });

  it('answers HeadObject with the length of an object and no body, or 404 for a missing key', async () => {
    server.put('audit', 'documents/orders/ORD1/signed-contract', Buffer.from('%PDF-1.7'));
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: 'audit', Key: 'documents/orders/ORD1/signed-contract' }),
    );
    expect(head.ContentLength).toBe(8);
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(
      await errorOf(
        s3.send(new HeadObjectCommand({ Bucket: 'audit', Key: 'documents/orders/ORD1/identity-document' })),
      ),
    ).toEqual({ name: 'NotFound', status: 404 });
  });

  it('copies an object within a bucket (CopyObject, its source URL-encoded), leaving the source', async () => {
    server.put('statements', 'incoming/a b+c.xml', Buffer.from('<Document/>'));
    const copied = await s3.send(
      new CopyObjectCommand({
        Bucket: 'statements',
        Key: 'rejected/a b+c.xml',
        CopySource: `statements/${encodeURIComponent('incoming/a b+c.xml')}`,
      }),
    );
    expect(copied.CopyObjectResult?.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    const objects = server.objects('statements');
    expect(objects.get('rejected/a b+c.xml')?.toString('utf8')).toBe('<Document/>');
    expect(objects.get('incoming/a b+c.xml')?.toString('utf8')).toBe('<Document/>');
    expect(
      await errorOf(
        s3.send(
          new CopyObjectCommand({ Bucket: 'statements', Key: 'rejected/x', CopySource: 'statements/incoming/none' }),
        ),
      ),
    ).toEqual({ name: 'NoSuchKey', status: 404 });
  });
});
