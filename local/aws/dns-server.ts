import { createSocket, type RemoteInfo } from 'node:dgram';

/**
 * A tiny authoritative DNS server on UDP (127.0.0.1) that answers MX and NS queries from records set
 * by `PUT /_local/dns/{domain}`, so the production DNS adapter (node:dns) resolves against it
 * unchanged through DNS_SERVERS. A domain exists once it is set (`{ "mx": [] }`: it exists with no
 * MX records, NODATA); other query types get an empty answer; every name never set is NXDOMAIN,
 * as an unregistered domain is.
 */
export interface LocalDnsServer {
  /** `127.0.0.1:<port>`, the value for DNS_SERVERS. */
  address: string;
  /** Makes `domain` exist, with these MX hosts (none: it exists without MX records) and no NS records. */
  setMx(domain: string, hosts: string[]): void;
  /** Makes `domain` exist with these records, replacing any it had. */
  setRecords(domain: string, records: { mx: string[]; ns: string[] }): void;
  stop(): Promise<void>;
}

const TYPE_NS = 2;
const TYPE_MX = 15;

interface Zone {
  mx: string[];
  ns: string[];
}
const CLASS_IN = 1;

export async function startDnsServer(): Promise<LocalDnsServer> {
  const zones = new Map<string, Zone>();
  const socket = createSocket('udp4');
  socket.on('message', (query: Buffer, peer: RemoteInfo) => {
    const response = answer(query, zones);
    if (response) socket.send(response, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    setMx: (domain, hosts) => zones.set(normalize(domain), { mx: hosts.map(normalize), ns: [] }),
    setRecords: (domain, { mx, ns }) => zones.set(normalize(domain), { mx: mx.map(normalize), ns: ns.map(normalize) }),
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

const normalize = (name: string) => name.trim().toLowerCase().replace(/\.$/, '');

function readName(message: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let at = offset;
  for (;;) {
    const length = message[at];
    if (length === undefined) throw new RangeError('truncated name');
    if (length === 0) return { name: labels.join('.'), end: at + 1 };
    labels.push(message.subarray(at + 1, at + 1 + length).toString('ascii'));
    at += 1 + length;
  }
}

function encodeName(name: string): Buffer {
  const parts = name.split('.').filter(Boolean);
  return Buffer.concat([
    ...parts.map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'ascii')])),
    Buffer.from([0]),
  ]);
}

function answer(query: Buffer, zones: Map<string, Zone>): Buffer | undefined {
  if (query.length < 12) return undefined;
  try {
    const { name, end } = readName(query, 12);
    const type = query.readUInt16BE(end);
    const question = query.subarray(12, end + 4);
    const zone = zones.get(normalize(name));
    const answers = !zone ? [] : type === TYPE_MX ? zone.mx : type === TYPE_NS ? zone.ns : [];
    const header = Buffer.alloc(12);
    header.writeUInt16BE(query.readUInt16BE(0), 0); // id
    // QR=1, opcode copied, AA=1, RD copied, RA=1; RCODE 3 (NXDOMAIN) for an unknown name.
    header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x7900) | 0x0080 | (zone ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const records = answers.map((host, index) => {
      const target = encodeName(host);
      // MX data: a preference, then the exchange; NS data: the name server alone.
      const preference = Buffer.alloc(type === TYPE_MX ? 2 : 0);
      if (type === TYPE_MX) preference.writeUInt16BE(10 * (index + 1));
      const record = Buffer.alloc(12);
      record.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
      record.writeUInt16BE(type, 2);
      record.writeUInt16BE(CLASS_IN, 4);
      record.writeUInt32BE(60, 6); // TTL
      record.writeUInt16BE(preference.length + target.length, 10);
      return Buffer.concat([record, preference, target]);
    });
    return Buffer.concat([header, question, ...records]);
  } catch {
    return undefined;
  }
}
