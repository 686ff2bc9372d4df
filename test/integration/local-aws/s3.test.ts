import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
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
  server = await startS3Server({ buckets: ['audit'] });
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
    expect(await errorOf(s3.send(new GetObjectCommand({ Bucket: 'audit', Key: 'orders/ord 1+è/paid.json' })))).toEqual({
      name: 'NotImplemented',
      status: 501,
    });
    const stream = Readable.from([Buffer.from('a stream')]);
    expect(
      await errorOf(s3.send(new PutObjectCommand({ Bucket: 'audit', Key: 'stream', Body: stream, ContentLength: 8 }))),
    ).toEqual({ name: 'NotImplemented', status: 501 });
    expect([...server.objects('audit').keys()]).toEqual(['orders/ord 1+è/paid.json']);
  });
});
