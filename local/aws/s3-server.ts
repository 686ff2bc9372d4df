import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { crc32 } from 'node:zlib';
import { closeServer, listen, readBody, xmlEscape } from './http-util.ts';

/*
 * Local stand-in for Amazon S3: the REST API, path-style addressing only (`http://127.0.0.1:<port>/<bucket>/<key>`,
 * what `@aws-sdk/client-s3` sends with `forcePathStyle: true` and `AWS_ENDPOINT_URL_S3`). In memory; buckets are
 * created on their first PutObject (or by CreateBucket). Signatures are not verified.
 */

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

type StoredObject = {
  body: Buffer;
  contentType: string;
  etag: string;
  lastModified: Date;
  metadata: Record<string, string>;
  /** Content-Encoding, Cache-Control, ... as sent by the client. */
  headers: Record<string, string>;
  /** `{ crc32: base64 }` etc, for the checksum algorithm the client used. */
  checksums: Record<string, string>;
};

class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
  }
}

const STORED_HEADERS = ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires'];
const CHECKSUMS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'];

const computeChecksum = (algorithm: string, body: Buffer): string | undefined => {
  switch (algorithm) {
    case 'crc32': {
      const out = Buffer.alloc(4);
      out.writeUInt32BE(crc32(body));
      return out.toString('base64');
    }
    case 'sha1':
    case 'sha256':
      return createHash(algorithm).update(body).digest('base64');
    default:
      return undefined; // CRC32C and CRC64NVME are stored as sent, not verified
  }
};

/** Decodes an `aws-chunked` body (`<hex size>[;chunk-signature=..]\r\n<data>\r\n ... 0\r\n<trailers>\r\n`). */
export const decodeAwsChunked = (raw: Buffer): { body: Buffer; trailers: Record<string, string> } => {
  const chunks: Buffer[] = [];
  const trailers: Record<string, string> = {};
  let offset = 0;
  const readLine = (): string => {
    const end = raw.indexOf('\r\n', offset);
    if (end < 0) throw new S3Error(400, 'IncompleteBody', 'The aws-chunked body is truncated.');
    const line = raw.subarray(offset, end).toString('latin1');
    offset = end + 2;
    return line;
  };
  for (;;) {
    const header = readLine();
    const size = Number.parseInt(header.split(';')[0] ?? '', 16);
    if (!Number.isFinite(size) || size < 0) throw new S3Error(400, 'InvalidChunkSizeError', 'Invalid chunk size.');
    if (size === 0) break;
    if (offset + size + 2 > raw.length) throw new S3Error(400, 'IncompleteBody', 'The aws-chunked body is truncated.');
    chunks.push(raw.subarray(offset, offset + size));
    offset += size;
    if (raw.subarray(offset, offset + 2).toString('latin1') !== '\r\n') {
      throw new S3Error(400, 'InvalidChunkSizeError', 'Chunk is not terminated by CRLF.');
    }
    offset += 2;
  }
  while (offset < raw.length) {
    const line = readLine();
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { body: Buffer.concat(chunks), trailers };
};

const decodeBody = (raw: Buffer, headers: IncomingHttpHeaders): { body: Buffer; trailers: Record<string, string> } => {
  const encoding = String(headers['content-encoding'] ?? '');
  const sha = String(headers['x-amz-content-sha256'] ?? '');
  if (encoding.split(',').some((e) => e.trim() === 'aws-chunked') || sha.startsWith('STREAMING-')) {
    return decodeAwsChunked(raw);
  }
  return { body: raw, trailers: {} };
};

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};

const objectHeaders = (object: StoredObject, checksumMode: boolean): Record<string, string | number> => {
  const out: Record<string, string | number> = {
    'content-type': object.contentType,
    etag: object.etag,
    'last-modified': object.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
    ...object.headers,
  };
  for (const [name, value] of Object.entries(object.metadata)) out[`x-amz-meta-${name}`] = value;
  if (checksumMode) {
    for (const [algorithm, value] of Object.entries(object.checksums)) out[`x-amz-checksum-${algorithm}`] = value;
    if (Object.keys(object.checksums).length > 0) out['x-amz-checksum-type'] = 'FULL_OBJECT';
  }
  return out;
};

const parseRange = (range: string, size: number): [number, number] => {
  const match = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  const invalid = new S3Error(416, 'InvalidRange', 'The requested range is not satisfiable', {
    RangeRequested: range,
    ActualObjectSize: String(size),
  });
  if (!match || (match[1] === '' && match[2] === '')) throw invalid;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) throw invalid;
    return [Math.max(0, size - suffix), size - 1];
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) throw invalid;
  return [start, end];
};

export type LocalS3Server = {
  endpoint: string;
  stop(): Promise<void>;
  /** A snapshot of a bucket's objects, key to body (empty when the bucket does not exist). */
  objects(bucket: string): Map<string, Buffer>;
};

/** Starts the S3 stand-in on 127.0.0.1 (ephemeral port unless `port` is given). */
export const startS3Server = async (options: { port?: number } = {}): Promise<LocalS3Server> => {
  const buckets = new Map<string, Map<string, StoredObject>>();

  const bucketOrFail = (name: string): Map<string, StoredObject> => {
    const bucket = buckets.get(name);
    if (!bucket) throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: name });
    return bucket;
  };

  const objectOrFail = (bucketName: string, key: string): StoredObject => {
    const object = bucketOrFail(bucketName).get(key);
    if (!object) throw new S3Error(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key });
    return object;
  };

  const checkPreconditions = (headers: IncomingHttpHeaders, existing: StoredObject | undefined): void => {
    const ifMatch = header(headers, 'if-match');
    const ifNoneMatch = header(headers, 'if-none-match');
    if (ifMatch !== undefined && (!existing || (ifMatch !== '*' && ifMatch !== existing.etag))) {
      if (!existing) throw new S3Error(404, 'NoSuchKey', 'The specified key does not exist.');
      throw new S3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
        Condition: 'If-Match',
      });
    }
    if (ifNoneMatch !== undefined && existing && (ifNoneMatch === '*' || ifNoneMatch === existing.etag)) {
      throw new S3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
        Condition: 'If-None-Match',
      });
    }
  };

  const putObject = async (req: IncomingMessage, res: ServerResponse, bucketName: string, key: string) => {
    const { body, trailers } = decodeBody(await readBody(req), req.headers);
    const bucket = buckets.get(bucketName) ?? new Map<string, StoredObject>();
    const checksums: Record<string, string> = {};
    for (const algorithm of CHECKSUMS) {
      const sent = trailers[`x-amz-checksum-${algorithm}`] ?? header(req.headers, `x-amz-checksum-${algorithm}`);
      if (sent === undefined) continue;
      const computed = computeChecksum(algorithm, body);
      if (computed !== undefined && computed !== sent) {
        throw new S3Error(
          400,
          'BadDigest',
          `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`,
        );
      }
      checksums[algorithm] = sent;
    }
    const md5 = createHash('md5').update(body);
    const contentMd5 = header(req.headers, 'content-md5');
    const digest = md5.digest();
    if (contentMd5 !== undefined && contentMd5 !== digest.toString('base64')) {
      throw new S3Error(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
    }
    const copySource = header(req.headers, 'x-amz-copy-source');
    if (copySource !== undefined) {
      copyObject(res, copySource, bucketName, key, req.headers);
      return;
    }
    checkPreconditions(req.headers, bucket.get(key));
    const metadata: Record<string, string> = {};
    const stored: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined) continue;
      const text = Array.isArray(value) ? value.join(',') : value;
      if (name.startsWith('x-amz-meta-')) metadata[name.slice('x-amz-meta-'.length)] = text;
      else if (STORED_HEADERS.includes(name)) stored[name] = text;
    }
    const encoding = (stored['content-encoding'] ?? '')
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== '' && e !== 'aws-chunked');
    if (encoding.length > 0) stored['content-encoding'] = encoding.join(',');
    else delete stored['content-encoding'];
    const etag = `"${digest.toString('hex')}"`;
    bucket.set(key, {
      body,
      contentType: header(req.headers, 'content-type') ?? 'binary/octet-stream',
      etag,
      lastModified: new Date(),
      metadata,
      headers: stored,
      checksums,
    });
    buckets.set(bucketName, bucket);
    const out: Record<string, string> = { etag };
    for (const [algorithm, value] of Object.entries(checksums)) out[`x-amz-checksum-${algorithm}`] = value;
    send(res, 200, out);
  };

  const copyObject = (
    res: ServerResponse,
    copySource: string,
    bucketName: string,
    key: string,
    headers: IncomingHttpHeaders,
  ): void => {
    const source = decodeURIComponent(copySource.split('?')[0] ?? '').replace(/^\//, '');
    const slash = source.indexOf('/');
    const original = objectOrFail(source.slice(0, slash), source.slice(slash + 1));
    const replace = header(headers, 'x-amz-metadata-directive') === 'REPLACE';
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (name.startsWith('x-amz-meta-') && typeof value === 'string') metadata[name.slice(11)] = value;
    }
    const copy: StoredObject = {
      ...original,
      lastModified: new Date(),
      ...(replace ? { metadata, contentType: header(headers, 'content-type') ?? original.contentType } : {}),
    };
    const bucket = buckets.get(bucketName) ?? new Map<string, StoredObject>();
    bucket.set(key, copy);
    buckets.set(bucketName, bucket);
    sendXml(
      res,
      200,
      `<CopyObjectResult xmlns="${NS}"><LastModified>${copy.lastModified.toISOString()}</LastModified>` +
        `<ETag>${xmlEscape(copy.etag)}</ETag></CopyObjectResult>`,
    );
  };

  const getObject = (req: IncomingMessage, res: ServerResponse, bucketName: string, key: string, head: boolean) => {
    const object = objectOrFail(bucketName, key);
    const ifMatch = header(req.headers, 'if-match');
    if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== object.etag) {
      throw new S3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
    }
    const ifNoneMatch = header(req.headers, 'if-none-match');
    if (ifNoneMatch !== undefined && (ifNoneMatch === '*' || ifNoneMatch === object.etag)) {
      send(res, 304, { etag: object.etag });
      return;
    }
    const range = header(req.headers, 'range');
    const checksumMode = header(req.headers, 'x-amz-checksum-mode') === 'ENABLED' && range === undefined;
    const headers = objectHeaders(object, checksumMode);
    if (range !== undefined) {
      const [start, end] = parseRange(range, object.body.length);
      headers['content-range'] = `bytes ${start}-${end}/${object.body.length}`;
      send(res, 206, headers, head ? undefined : object.body.subarray(start, end + 1), end - start + 1);
      return;
    }
    send(res, 200, headers, head ? undefined : object.body, object.body.length);
  };

  const listObjects = (res: ServerResponse, bucketName: string, query: URLSearchParams) => {
    const bucket = bucketOrFail(bucketName);
    const v2 = query.get('list-type') === '2';
    const prefix = query.get('prefix') ?? '';
    const delimiter = query.get('delimiter') ?? '';
    const maxKeys = Math.min(1000, Math.max(0, Number(query.get('max-keys') ?? '1000') || 0));
    const urlEncode = query.get('encoding-type') === 'url';
    const enc = (value: string) => xmlEscape(urlEncode ? encodeURIComponent(value).replace(/%2F/g, '/') : value);
    const token = query.get('continuation-token');
    const after = v2
      ? token
        ? Buffer.from(token, 'base64url').toString('utf8')
        : (query.get('start-after') ?? '')
      : (query.get('marker') ?? '');
    const keys = [...bucket.keys()].filter((key) => key.startsWith(prefix) && key > after).sort();
    const contents: string[] = [];
    const commonPrefixes = new Set<string>();
    let count = 0;
    let truncated = false;
    let lastKey = '';
    for (const key of keys) {
      let common: string | undefined;
      if (delimiter !== '') {
        const at = key.indexOf(delimiter, prefix.length);
        if (at >= 0) common = key.slice(0, at + delimiter.length);
      }
      if (common !== undefined && commonPrefixes.has(common)) {
        lastKey = key;
        continue;
      }
      if (count >= maxKeys) {
        truncated = true;
        break;
      }
      count++;
      lastKey = key;
      if (common !== undefined) {
        commonPrefixes.add(common);
        continue;
      }
      const object = bucket.get(key) as StoredObject;
      contents.push(
        `<Contents><Key>${enc(key)}</Key><LastModified>${object.lastModified.toISOString()}</LastModified>` +
          `<ETag>${xmlEscape(object.etag)}</ETag><Size>${object.body.length}</Size>` +
          `<StorageClass>STANDARD</StorageClass></Contents>`,
      );
    }
    const prefixes = [...commonPrefixes].map((p) => `<CommonPrefixes><Prefix>${enc(p)}</Prefix></CommonPrefixes>`);
    const paging = v2
      ? `<KeyCount>${count}</KeyCount>${token ? `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>` : ''}` +
        (truncated
          ? `<NextContinuationToken>${Buffer.from(lastKey, 'utf8').toString('base64url')}</NextContinuationToken>`
          : '') +
        (query.has('start-after') ? `<StartAfter>${enc(query.get('start-after') ?? '')}</StartAfter>` : '')
      : `<Marker>${enc(after)}</Marker>${truncated && delimiter !== '' ? `<NextMarker>${enc(lastKey)}</NextMarker>` : ''}`;
    sendXml(
      res,
      200,
      `<ListBucketResult xmlns="${NS}"><Name>${xmlEscape(bucketName)}</Name><Prefix>${enc(prefix)}</Prefix>` +
        `${paging}<MaxKeys>${maxKeys}</MaxKeys>${delimiter ? `<Delimiter>${enc(delimiter)}</Delimiter>` : ''}` +
        `${urlEncode ? '<EncodingType>url</EncodingType>' : ''}<IsTruncated>${truncated}</IsTruncated>` +
        `${contents.join('')}${prefixes.join('')}</ListBucketResult>`,
    );
  };

  const deleteObjects = async (req: IncomingMessage, res: ServerResponse, bucketName: string) => {
    const { body } = decodeBody(await readBody(req), req.headers);
    const bucket = bucketOrFail(bucketName);
    const xml = body.toString('utf8');
    const quiet = /<Quiet>\s*true\s*<\/Quiet>/.test(xml);
    const deleted: string[] = [];
    for (const match of xml.matchAll(/<Object>[\s\S]*?<Key>([\s\S]*?)<\/Key>[\s\S]*?<\/Object>/g)) {
      const key = (match[1] ?? '')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&apos;/g, "'")
        .replace(/&amp;/g, '&');
      bucket.delete(key);
      if (!quiet) deleted.push(`<Deleted><Key>${xmlEscape(key)}</Key></Deleted>`);
    }
    sendXml(res, 200, `<DeleteResult xmlns="${NS}">${deleted.join('')}</DeleteResult>`);
  };

  const listBuckets = (res: ServerResponse) => {
    const entries = [...buckets.keys()]
      .sort()
      .map(
        (name) =>
          `<Bucket><Name>${xmlEscape(name)}</Name><CreationDate>${new Date(0).toISOString()}</CreationDate></Bucket>`,
      );
    sendXml(
      res,
      200,
      `<ListAllMyBucketsResult xmlns="${NS}"><Owner><ID>local</ID><DisplayName>local</DisplayName></Owner>` +
        `<Buckets>${entries.join('')}</Buckets></ListAllMyBucketsResult>`,
    );
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.slice(1);
    const slash = path.indexOf('/');
    const bucketName = decodeURIComponent(slash < 0 ? path : path.slice(0, slash));
    const key = slash < 0 ? '' : decodeURIComponent(path.slice(slash + 1));
    const method = req.method ?? 'GET';
    if (bucketName === '') {
      if (method === 'GET') return listBuckets(res);
      throw new S3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    }
    if (key === '') {
      if (method === 'PUT') {
        await readBody(req);
        if (!buckets.has(bucketName)) buckets.set(bucketName, new Map());
        return send(res, 200, { location: `/${bucketName}` });
      }
      if (method === 'HEAD') {
        bucketOrFail(bucketName);
        return send(res, 200, { 'x-amz-bucket-region': 'us-east-1' });
      }
      if (method === 'GET') return listObjects(res, bucketName, url.searchParams);
      if (method === 'POST' && url.searchParams.has('delete')) return deleteObjects(req, res, bucketName);
      if (method === 'DELETE') {
        const bucket = bucketOrFail(bucketName);
        if (bucket.size > 0) {
          throw new S3Error(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty', {
            BucketName: bucketName,
          });
        }
        buckets.delete(bucketName);
        return send(res, 204, {});
      }
      throw new S3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    }
    switch (method) {
      case 'PUT':
        return putObject(req, res, bucketName, key);
      case 'GET':
        return getObject(req, res, bucketName, key, false);
      case 'HEAD':
        return getObject(req, res, bucketName, key, true);
      case 'DELETE':
        buckets.get(bucketName)?.delete(key);
        return send(res, 204, {});
      default:
        throw new S3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    }
  };

  const server = createServer((req, res) => {
    route(req, res).catch((caught: unknown) => {
      const error =
        caught instanceof S3Error
          ? caught
          : new S3Error(500, 'InternalError', caught instanceof Error ? caught.message : String(caught));
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (req.method === 'HEAD') {
        send(res, error.status, {});
        return;
      }
      const extra = Object.entries(error.extra)
        .map(([name, value]) => `<${name}>${xmlEscape(value)}</${name}>`)
        .join('');
      sendXml(
        res,
        error.status,
        `<Error><Code>${error.code}</Code><Message>${xmlEscape(error.message)}</Message>${extra}` +
          `<RequestId>${randomUUID()}</RequestId><HostId>local</HostId></Error>`,
      );
    });
  });
  const endpoint = await listen(server, options.port);

  return {
    endpoint,
    stop: () => closeServer(server),
    objects: (bucket) =>
      new Map([...(buckets.get(bucket) ?? new Map<string, StoredObject>())].map(([k, o]) => [k, o.body])),
  };
};

const send = (
  res: ServerResponse,
  status: number,
  headers: Record<string, string | number>,
  body?: Buffer,
  length?: number,
): void => {
  res.writeHead(status, {
    'x-amz-request-id': randomUUID(),
    'content-length': length ?? body?.length ?? 0,
    ...headers,
  });
  res.end(body);
};

const sendXml = (res: ServerResponse, status: number, xml: string): void => {
  const body = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`, 'utf8');
  send(res, status, { 'content-type': 'application/xml' }, body);
};
