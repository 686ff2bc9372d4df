import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listen, readBody, xmlEscape } from './http-util.ts';

/*
 * Local stand-in for Amazon S3, for the calls the product makes, path-style (`/<bucket>/<key>`, as
 * `@aws-sdk/client-s3` sends them with `forcePathStyle` and `AWS_ENDPOINT_URL_S3`): PutObject of a
 * string body (`PUT`), CopyObject (`PUT` with `x-amz-copy-source`), GetObject (`GET`), HeadObject (`HEAD`) and the browser
 * upload of a presigned POST (`POST /<bucket>`, multipart form: its policy's key, content type,
 * size range and expiry enforced as S3 does; the signature is not verified). Objects
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
    if (req.method === 'POST' && key.length === 0) {
      return postObject(res, buckets.get(decodeURIComponent(bucketName)), req, body);
    }
    const copySource = req.headers['x-amz-copy-source'];
    const operation =
      req.method === 'GET'
        ? 'GetObject'
        : req.method === 'HEAD'
          ? 'HeadObject'
          : req.method === 'PUT'
            ? copySource
              ? 'CopyObject'
              : 'PutObject'
            : '';
    if (operation === '' || objectKey === '') {
      return sendError(
        res,
        501,
        'NotImplemented',
        'The local S3 implements PutObject, CopyObject, GetObject and HeadObject only.',
      );
    }
    if (String(req.headers['x-amz-content-sha256']).startsWith('STREAMING-')) {
      return sendError(res, 501, 'NotImplemented', 'The local S3 takes a string or a Buffer, not a stream.');
    }
    const bucket = buckets.get(decodeURIComponent(bucketName));
    if (!bucket) return sendError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');

    if (operation === 'GetObject' || operation === 'HeadObject') {
      const object = bucket.get(objectKey);
      if (!object) return sendError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
      // A HEAD answer has the headers of the GET and no body.
      res
        .writeHead(200, { etag: etagOf(object), 'content-length': object.length })
        .end(operation === 'GetObject' ? object : undefined);
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

type PolicyCondition = Record<string, string> | [string, string | number, string | number];

/**
 * A presigned POST upload: the form's fields and its `file`, checked against the policy it carries
 * (every condition must hold: exact fields, `starts-with`, `content-length-range`; expiry), then stored
 * under its key. 204 as S3 answers without `success_action_status`.
 */
async function postObject(
  res: ServerResponse,
  bucket: Map<string, Buffer> | undefined,
  req: IncomingMessage,
  body: Buffer,
): Promise<void> {
  if (!bucket) return sendError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
  const contentType = String(req.headers['content-type'] ?? '');
  if (!contentType.startsWith('multipart/form-data')) {
    return sendError(res, 412, 'PreconditionFailed', 'A POST upload is a multipart/form-data form.');
  }
  const form = await new Request('http://local/', {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: new Uint8Array(body),
  }).formData();
  const fields = new Map<string, string>();
  let file: Buffer | undefined;
  for (const [name, value] of form) {
    if (typeof value === 'string') fields.set(name.toLowerCase(), value);
    else if (name === 'file') file = Buffer.from(await value.arrayBuffer());
  }
  const key = fields.get('key');
  const policyText = fields.get('policy');
  if (!key || !policyText || file === undefined) {
    return sendError(res, 400, 'InvalidArgument', 'A POST upload needs key, policy and file.');
  }
  const policy = JSON.parse(Buffer.from(policyText, 'base64').toString('utf8')) as {
    expiration: string;
    conditions: PolicyCondition[];
  };
  if (Date.parse(policy.expiration) < Date.now()) {
    return sendError(res, 403, 'AccessDenied', 'Invalid according to Policy: Policy expired.');
  }
  for (const condition of policy.conditions) {
    if (Array.isArray(condition)) {
      const [operator, first, second] = condition;
      if (operator === 'content-length-range') {
        if (file.length < Number(first) || file.length > Number(second)) {
          const code = file.length > Number(second) ? 'EntityTooLarge' : 'EntityTooSmall';
          return sendError(res, 400, code, 'Your proposed upload is outside the size the policy allows.');
        }
        continue;
      }
      const field = String(first).replace(/^\$/, '').toLowerCase();
      const actual = field === 'bucket' ? undefined : fields.get(field);
      const holds =
        operator === 'eq' ? actual === second : operator === 'starts-with' && (actual ?? '').startsWith(String(second));
      if (field !== 'bucket' && !holds) {
        return sendError(
          res,
          403,
          'AccessDenied',
          `Invalid according to Policy: Policy Condition failed: ${JSON.stringify(condition)}`,
        );
      }
      continue;
    }
    for (const [name, value] of Object.entries(condition)) {
      if (name !== 'bucket' && fields.get(name.toLowerCase()) !== value) {
        return sendError(
          res,
          403,
          'AccessDenied',
          `Invalid according to Policy: Policy Condition failed: ["eq", "$${name}", "${value}"]`,
        );
      }
    }
  }
  bucket.set(key, file);
  res.writeHead(204).end();
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><RequestId>${randomUUID()}</RequestId></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) }).end(body);
}
