import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listen, readBody, xmlEscape } from './http-util.ts';

/*
 * Local stand-in for Amazon S3, for the one call the product makes: PutObject, path-style
 * (`PUT /<bucket>/<key>`, as `@aws-sdk/client-s3` sends it with `forcePathStyle` and
 * `AWS_ENDPOINT_URL_S3`), of a string body. Objects are kept in memory for the runtime to read
 * (`objects`); signatures and checksums are not verified.
 */

export type LocalS3Server = {
  endpoint: string;
  stop(): Promise<void>;
  /** A snapshot of a bucket's objects, key to body. */
  objects(bucket: string): Map<string, Buffer>;
};

/** Starts the S3 stand-in on 127.0.0.1 with the given (empty) buckets. */
export async function startS3Server(options: { buckets: string[] }): Promise<LocalS3Server> {
  const buckets = new Map(options.buckets.map((name) => [name, new Map<string, Buffer>()]));

  const putObject = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const [, bucketName = '', ...key] = new URL(req.url ?? '/', 'http://localhost').pathname.split('/');
    const body = await readBody(req);
    if (req.method !== 'PUT' || key.join('') === '') {
      return sendError(res, 501, 'NotImplemented', 'The local S3 implements PutObject only.');
    }
    if (String(req.headers['x-amz-content-sha256']).startsWith('STREAMING-')) {
      return sendError(res, 501, 'NotImplemented', 'The local S3 takes a string or a Buffer, not a stream.');
    }
    const bucket = buckets.get(decodeURIComponent(bucketName));
    if (!bucket) return sendError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
    bucket.set(decodeURIComponent(key.join('/')), body);
    res.writeHead(200, { etag: `"${createHash('md5').update(body).digest('hex')}"`, 'content-length': 0 }).end();
  };

  const server = createServer((req, res) => {
    putObject(req, res).catch((error: unknown) => sendError(res, 500, 'InternalError', String(error)));
  });
  return {
    endpoint: await listen(server),
    stop: () => closeServer(server),
    objects: (bucket) => new Map(buckets.get(bucket)),
  };
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><RequestId>${randomUUID()}</RequestId></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) }).end(body);
}
