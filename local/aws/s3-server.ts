import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listen, readBody, xmlEscape } from './http-util.ts';

/*
 * Local stand-in for Amazon S3, for the calls the product makes, path-style (`/<bucket>/<key>`, as
 * `@aws-sdk/client-s3` sends them with `forcePathStyle` and `AWS_ENDPOINT_URL_S3`): PutObject of a
 * string body (`PUT`), CopyObject (`PUT` with `x-amz-copy-source`) and GetObject (`GET`). Objects
 * are kept in memory for the runtime to read (`objects`) or to put itself (`put`); signatures and
 * checksums are not verified.
 */

export type LocalS3Server = {
  endpoint: string;
  stop(): Promise<void>;
  /** A snapshot of a bucket's objects, key to body. */
  objects(bucket: string): Map<string, Buffer>;
  /** Stores an object directly, as an upload from outside the product would (the bank's statement file). */
  put(bucket: string, key: string, body: Buffer): void;
};

/** Starts the S3 stand-in on 127.0.0.1 with the given (empty) buckets. */
export async function startS3Server(options: { buckets: string[] }): Promise<LocalS3Server> {
  const buckets = new Map(options.buckets.map((name) => [name, new Map<string, Buffer>()]));
  const etagOf = (body: Buffer) => `"${createHash('md5').update(body).digest('hex')}"`;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const [, bucketName = '', ...key] = new URL(req.url ?? '/', 'http://localhost').pathname.split('/');
    const body = await readBody(req);
    const objectKey = decodeURIComponent(key.join('/'));
    const copySource = req.headers['x-amz-copy-source'];
    const operation =
      req.method === 'GET' ? 'GetObject' : req.method === 'PUT' ? (copySource ? 'CopyObject' : 'PutObject') : '';
    if (operation === '' || objectKey === '') {
      return sendError(res, 501, 'NotImplemented', 'The local S3 implements PutObject, CopyObject and GetObject only.');
    }
    if (String(req.headers['x-amz-content-sha256']).startsWith('STREAMING-')) {
      return sendError(res, 501, 'NotImplemented', 'The local S3 takes a string or a Buffer, not a stream.');
    }
    const bucket = buckets.get(decodeURIComponent(bucketName));
    if (!bucket) return sendError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');

    if (operation === 'GetObject') {
      const object = bucket.get(objectKey);
      if (!object) return sendError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
      res.writeHead(200, { etag: etagOf(object), 'content-length': object.length }).end(object);
      return;
    }
    if (operation === 'CopyObject') {
      // `x-amz-copy-source: <bucket>/<key>`, URL-encoded, with or without a leading slash.
      const [sourceBucket = '', ...sourceKey] = decodeURIComponent(String(copySource).replace(/^\//, '')).split('/');
      const source = buckets.get(sourceBucket)?.get(sourceKey.join('/'));
      if (!source) return sendError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
      bucket.set(objectKey, source);
      const result = `<?xml version="1.0" encoding="UTF-8"?>\n<CopyObjectResult><LastModified>${new Date().toISOString()}</LastModified><ETag>${xmlEscape(etagOf(source))}</ETag></CopyObjectResult>`;
      res
        .writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(result) })
        .end(result);
      return;
    }
    bucket.set(objectKey, body);
    res.writeHead(200, { etag: etagOf(body), 'content-length': 0 }).end();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => sendError(res, 500, 'InternalError', String(error)));
  });
  return {
    endpoint: await listen(server),
    stop: () => closeServer(server),
    objects: (bucket) => new Map(buckets.get(bucket)),
    put(bucket, key, body) {
      const objects = buckets.get(bucket);
      if (!objects) throw new Error(`The local S3 has no bucket ${bucket}`);
      objects.set(key, body);
    },
  };
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><RequestId>${randomUUID()}</RequestId></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) }).end(body);
}
