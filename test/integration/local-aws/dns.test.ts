import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dnsResolver } from '../../../functions/adapters/dns-resolver.ts';
import { type LocalDnsServer, startDnsServer } from '../../../local/aws/dns-server.ts';

/* The production DNS adapter (node:dns) against the local DNS server, as the local runtime wires them. */

let dns: LocalDnsServer;
beforeAll(async () => {
  dns = await startDnsServer();
});
afterAll(() => dns?.stop());

describe('the DNS adapter on the local DNS server', () => {
  it('finds the MX records set for a domain, whatever their case', async () => {
    dns.setMx('Studio-Rossi.it', ['MX1.pec.example.com.', 'mx2.pec.example.com']);
    const resolver = dnsResolver({ servers: dns.address });
    const records = await resolver.mx('studio-rossi.it');
    expect(records.map(({ exchange, priority }) => ({ exchange, priority }))).toEqual([
      { exchange: 'mx1.pec.example.com', priority: 10 },
      { exchange: 'mx2.pec.example.com', priority: 20 },
    ]);
    expect(await resolver.existence('studio-rossi.it')).toBe('exists');
  });

  it('knows a domain set with no MX records: it exists, and has none', async () => {
    dns.setMx('senza-mx.it', []);
    const resolver = dnsResolver({ servers: dns.address });
    expect(await resolver.existence('senza-mx.it')).toBe('exists');
    expect(await resolver.mx('senza-mx.it')).toEqual([]);
  });

  it('finds the NS records set for a domain beside its MX records; none for a domain set with MX only', async () => {
    dns.setRecords('Ospitato.it', { mx: ['mx1.pec.example.com'], ns: ['NS1.pec.example.com.', 'ns2.pec.example.com'] });
    dns.setMx('solo-mx.it', ['mx1.pec.example.com']);
    const resolver = dnsResolver({ servers: dns.address });
    expect(await resolver.ns('ospitato.it')).toEqual(['ns1.pec.example.com', 'ns2.pec.example.com']);
    expect((await resolver.mx('ospitato.it')).map(({ exchange }) => exchange)).toEqual(['mx1.pec.example.com']);
    expect(await resolver.ns('solo-mx.it')).toEqual([]);
    expect(await resolver.ns('mai-registrato.it')).toEqual([]);
  });

  it('answers NXDOMAIN for a name it does not know (nor for a subdomain of one it knows)', async () => {
    dns.setMx('conosciuto.it', []);
    const resolver = dnsResolver({ servers: dns.address });
    expect(await resolver.existence('mai-registrato.it')).toBe('missing');
    expect(await resolver.existence('posta.conosciuto.it')).toBe('missing');
    expect(await resolver.mx('mai-registrato.it')).toEqual([]);
  });

  it('reports a resolver it cannot ask as unknown, and mx throws', async () => {
    // A UDP port nobody answers on: the query times out.
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      const resolver = dnsResolver({ servers: `127.0.0.1:${silent.address().port}`, timeoutMs: 50, tries: 1 });
      expect(await resolver.existence('studio-rossi.it')).toBe('unknown');
      await expect(resolver.mx('studio-rossi.it')).rejects.toMatchObject({ code: 'ETIMEOUT' });
    } finally {
      silent.close();
    }
  });
});
