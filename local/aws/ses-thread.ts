import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { parentPort } from 'node:worker_threads';
import { listen, readBody } from './http-util.ts';

/**
 * The SES stand-in's own thread (see `startSes`): aws-ses-v2-local, on a free loopback port, behind
 * a small front that keeps what aws-ses-v2-local drops: each sent email's message tags (SES hands
 * them back with a bounce or complaint), served at `GET /_tags` by message id.
 */
const { default: server } = createRequire(import.meta.url)('aws-ses-v2-local') as {
  default: (config: { host: string; port: number }) => Promise<Server>;
};
const backend = await server({ host: '127.0.0.1', port: 0 });
const backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;

/** Headers of one connection, not of the request: the forwarded request has its own. */
const HOP_BY_HOP = new Set(['host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

/** Message id → tags (`Tags.member.N.Name` → `Tags.member.N.Value`). */
const tags = new Map<string, Record<string, string>>();

const front = createServer(async (req, res) => {
  try {
    if (req.method === 'GET' && req.url === '/_tags') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(Object.fromEntries(tags)));
      return;
    }
    const body = await readBody(req);
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string' && !HOP_BY_HOP.has(entry[0]),
      ),
    );
    const answer = await fetch(`${backendUrl}${req.url ?? '/'}`, {
      method: req.method ?? 'GET',
      headers,
      ...(body.length > 0 ? { body: new Uint8Array(body) } : {}),
    });
    const text = await answer.text();
    const form = new URLSearchParams(body.toString('utf8'));
    const messageId = /<MessageId>([^<]+)<\/MessageId>/.exec(text)?.[1];
    if (form.get('Action') === 'SendEmail' && messageId) {
      const sent: Record<string, string> = {};
      for (let n = 1; form.has(`Tags.member.${n}.Name`); n++) {
        sent[form.get(`Tags.member.${n}.Name`) as string] = form.get(`Tags.member.${n}.Value`) ?? '';
      }
      tags.set(messageId, sent);
    }
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
    res.end(text);
  } catch (error) {
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(String(error));
  }
});
parentPort?.postMessage({ endpoint: await listen(front) });
