import net from 'node:net';

// Destinations a sandbox must never reach through the proxy: the host itself, the LAN, cloud metadata services
// (169.254.169.254) and the like. Checked on the addresses the proxy resolved and will connect to, never on the name
// the client sent, so a DNS answer pointing at 127.0.0.1 is caught too.

export type AddressClass = 'loopback' | 'private' | 'link-local' | 'unspecified' | 'shared' | 'multicast' | 'reserved';

const V4: [string, number, AddressClass][] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

const V6: [string, number, AddressClass][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['fc00::', 7, 'private'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'private'],
  ['ff00::', 8, 'multicast'],
];

const lists = new Map<AddressClass, net.BlockList>();
for (const [prefix, bits, cls] of V4) blockList(cls).addSubnet(prefix, bits, 'ipv4');
for (const [prefix, bits, cls] of V6) blockList(cls).addSubnet(prefix, bits, 'ipv6');

function blockList(cls: AddressClass): net.BlockList {
  let l = lists.get(cls);
  if (!l) lists.set(cls, (l = new net.BlockList()));
  return l;
}

/** The class of a non-public address, or null for a public one. Anything that is not an IP address is 'reserved'. */
export function classifyAddress(address: string): AddressClass | null {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = net.isIP(bare);
  if (family === 0) return 'reserved';
  if (family === 6) {
    // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible and NAT64 (64:ff9b::/96) addresses reach the IPv4 address inside.
    const embedded = embeddedV4(bare);
    if (embedded) return classifyAddress(embedded);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const [cls, list] of lists) if (list.check(bare, type)) return cls;
  return null;
}

function embeddedV4(v6: string): string | null {
  const bytes = ipv6Bytes(v6);
  if (!bytes) return null;
  const zero = (from: number, to: number) => bytes.subarray(from, to).every((b) => b === 0);
  const mapped = zero(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff;
  const compatible = zero(0, 12) && !zero(12, 16) && !(zero(12, 15) && bytes[15] === 1);
  const nat64 = bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zero(4, 12);
  return mapped || compatible || nat64 ? [...bytes.subarray(12)].join('.') : null;
}

/** 16 bytes of an IPv6 address in any textual form (with :: and an optional dotted IPv4 tail), or null. */
export function ipv6Bytes(text: string): Uint8Array | null {
  if (net.isIPv6(text) === false) return null;
  let s = text.split('%')[0] as string;
  const tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    tail.push(...s.slice(lastColon + 1).split('.').map(Number));
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const [head, rest] = s.includes('::') ? (s.split('::') as [string, string]) : [s, null];
  const hi = head ? head.split(':') : [];
  const lo = rest === null ? [] : rest ? rest.split(':') : [];
  const fill = rest === null ? 0 : 8 - hi.length - lo.length;
  const groups = [...hi, ...Array<string>(fill).fill('0'), ...lo].map((g) => parseInt(g, 16));
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return null;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  if (tail.length === 4) out.set(tail, 12);
  return out;
}

export function describeClass(cls: AddressClass): string {
  switch (cls) {
    case 'loopback':
      return 'a loopback address (a service on the host machine)';
    case 'private':
      return 'a private network address';
    case 'link-local':
      return 'a link-local address (e.g. a cloud metadata service)';
    case 'unspecified':
      return 'an unspecified address';
    case 'shared':
      return 'a carrier-grade NAT address';
    case 'multicast':
      return 'a multicast address';
    case 'reserved':
      return 'a reserved address';
  }
}
