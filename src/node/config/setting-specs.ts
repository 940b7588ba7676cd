/**
 * Every setting a node reads, in one table: its `time.conf` key (also its `--flag`), whether it
 * repeats, where it may be given, what it means, its default as docs/OPERATIONS.md shows it, and
 * how its text becomes a value. settings.ts resolves the layers; nothing else knows a key.
 * Invariants: keys are unique; `parse` either returns a checked value or throws a plain Error
 * whose message says what is wrong (settings.ts adds where it was written).
 */
import { isIP } from 'node:net'
import { isAbsolute, resolve } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { fromHex } from '../../core/encoding/bytes.ts'
import { type Address, decodeAddress } from '../../core/primitives/address.ts'
import { isNetworkName, NETWORKS, type NetworkName } from '../../core/primitives/network.ts'

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** What a value's text is read against. */
export interface ParseContext {
  readonly network: NetworkName
  /** Relative paths are taken from here: the folder of the file that names them, or the cwd. */
  readonly baseDir: string
}

export interface SettingSpec {
  readonly key: string
  /** Repeatable (`addnode=…` on several lines); a higher layer's list replaces a lower one's. */
  readonly list?: true
  /** 'cli': only a flag (or the environment) may set it — not time.conf, which it locates. */
  readonly scope?: 'cli'
  /** Where the network is chosen: never inside a `[network]` section. */
  readonly global?: true
  /** The environment variable that sets it (between time.conf and the flags). */
  readonly env?: string
  readonly help: string
  /** The default as the docs show it. */
  readonly default: string
  readonly parse: (text: string, ctx: ParseContext) => unknown
}

function fail(message: string): never {
  throw new Error(message)
}

export function parseBool(text: string): boolean {
  if (text === '1' || text === 'true') return true
  if (text === '0' || text === 'false') return false
  return fail(`expected 1 or 0, got ${JSON.stringify(text)}`)
}

function parseInteger(text: string, min: number, max: number, what: string): number {
  if (!/^\d+$/.test(text)) fail(`expected ${what}, got ${JSON.stringify(text)}`)
  const n = Number(text)
  if (!Number.isSafeInteger(n) || n < min || n > max)
    fail(`expected ${what} (${min}…${max}), got ${text}`)
  return n
}

export function parsePort(text: string): number {
  return parseInteger(text, 0, 65_535, 'a port')
}

function count(text: string): number {
  return parseInteger(text, 1, 1_000_000_000, 'a whole number ≥ 1')
}

/** A positive decimal number (seconds, a rate, a score). */
function positive(text: string): number {
  if (!/^\d+(\.\d+)?$/.test(text)) fail(`expected a positive number, got ${JSON.stringify(text)}`)
  const n = Number(text)
  if (!(n > 0 && Number.isFinite(n))) fail(`expected a positive number, got ${text}`)
  return n
}

function nonEmpty(text: string): string {
  if (text === '') fail('expected a value')
  return text
}

function path(text: string, ctx: ParseContext): string {
  return isAbsolute(nonEmpty(text)) ? text : resolve(ctx.baseDir, text)
}

/** A host name or an IP address (no port, no spaces). */
export function parseHost(text: string): string {
  if (isIP(text) !== 0) return text
  if (/^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/.test(text))
    return text
  return fail(`expected a host name or an IP address, got ${JSON.stringify(text)}`)
}

export interface HostPort {
  readonly host: string
  readonly port: number | undefined
}

/** `host`, `host:port`, `[ipv6]` or `[ipv6]:port`; a bare IPv6 address has no port. */
export function parseHostPort(text: string): HostPort {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text)
  if (v6 !== null) {
    if (isIP(v6[1]!) !== 6)
      fail(`expected an IPv6 address in brackets, got ${JSON.stringify(text)}`)
    return { host: v6[1]!, port: v6[2] === undefined ? undefined : parsePort(v6[2]) }
  }
  if (isIP(text) === 6) return { host: text, port: undefined }
  const colon = text.lastIndexOf(':')
  if (colon === -1) return { host: parseHost(text), port: undefined }
  return { host: parseHost(text.slice(0, colon)), port: parsePort(text.slice(colon + 1)) }
}

/** `rpcallowip`: an address, `address/prefix` or `address/netmask` (IPv4 or IPv6). */
export function parseSubnet(text: string): string {
  const [address = '', mask, ...rest] = text.split('/')
  const family = isIP(address)
  if (family === 0 || rest.length > 0)
    fail(
      `expected an IP address or subnet (1.2.3.4, 10.0.0.0/8, fd00::/8), got ${JSON.stringify(text)}`,
    )
  if (mask === undefined) return text
  if (/^\d+$/.test(mask)) {
    parseInteger(mask, 0, family === 4 ? 32 : 128, 'a prefix length')
    return text
  }
  if (family === 4 && isIP(mask) === 4) return text
  return fail(`expected a prefix length or an IPv4 netmask after '/', got ${JSON.stringify(mask)}`)
}

/** `addnode`: a multiaddr, or `host:port` made into one (`/ip4|ip6|dns/host/tcp/port`). */
export function parsePeerAddress(text: string): string {
  if (text.startsWith('/')) {
    try {
      return multiaddr(text).toString()
    } catch (e) {
      return fail(`not a multiaddr: ${(e as Error).message}`)
    }
  }
  const { host, port } = parseHostPort(text)
  if (port === undefined) fail(`expected host:port or a multiaddr, got ${JSON.stringify(text)}`)
  const family = isIP(host)
  const proto = family === 4 ? 'ip4' : family === 6 ? 'ip6' : 'dns'
  return `/${proto}/${host}/tcp/${port}`
}

function secretKeyHex(text: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(text))
    fail('expected the 32-byte secret key as 64 hex digits (see `timecoin keygen`)')
  return fromHex(text.toLowerCase(), 32)
}

function address(text: string, ctx: ParseContext): Address {
  try {
    return decodeAddress(text, ctx.network).address
  } catch (e) {
    return fail(`not a ${ctx.network} address: ${(e as Error).message}`)
  }
}

function oneOf<T extends string>(values: readonly T[]) {
  return (text: string): T => {
    if ((values as readonly string[]).includes(text)) return text as T
    return fail(`expected one of ${values.join(', ')}, got ${JSON.stringify(text)}`)
  }
}

const network = (text: string): NetworkName =>
  isNetworkName(text)
    ? text
    : fail(`expected one of ${NETWORKS.join(', ')}, got ${JSON.stringify(text)}`)

/** The table, in the order docs/OPERATIONS.md lists it. */
export const SETTING_SPECS: readonly SettingSpec[] = [
  // ── where and which network ──
  {
    key: 'datadir',
    scope: 'cli',
    help: 'data directory; each network keeps its data in a sub-folder of it',
    default: '~/.timecoin',
    parse: path,
  },
  {
    key: 'conf',
    scope: 'cli',
    help: 'settings file',
    default: '<datadir>/time.conf',
    parse: path,
  },
  {
    key: 'network',
    global: true,
    env: 'NETWORK_TYPE',
    help: 'mainnet, testnet or devnet',
    default: 'mainnet',
    parse: network,
  },
  {
    key: 'testnet',
    global: true,
    help: 'testnet=1 is network=testnet',
    default: '0',
    parse: parseBool,
  },
  {
    key: 'genesis',
    help: 'genesis file (JSON) of the network this node joins',
    default: '(none)',
    parse: path,
  },
  // ── peer-to-peer ──
  {
    key: 'listen',
    help: 'accept inbound connections',
    default: '1',
    parse: parseBool,
  },
  {
    key: 'bind',
    help: 'address the P2P listeners bind to',
    default: '0.0.0.0',
    parse: parseHost,
  },
  {
    key: 'port',
    env: 'P2P_PORT',
    help: 'P2P port (TCP)',
    default: '24000 / 24100 / 24200',
    parse: parsePort,
  },
  {
    key: 'wsport',
    help: 'WebSocket port for browser wallets',
    default: '24002 / 24102 / 24202',
    parse: parsePort,
  },
  {
    key: 'externalip',
    list: true,
    help: 'public address announced to peers',
    default: '(none)',
    parse: parseHost,
  },
  {
    key: 'maxconnections',
    help: 'connections at most; 40% are kept for committee members, the rest fits 1,000 wallets',
    default: '2000',
    parse: count,
  },
  {
    key: 'addnode',
    list: true,
    help: 'peer to connect to at start: host:port or a multiaddr',
    default: '(none)',
    parse: parsePeerAddress,
  },
  {
    key: 'tlscert',
    help: 'TLS certificate (PEM) for wss:// on the WebSocket port; needs tlskey',
    default: '(none: ws://)',
    parse: path,
  },
  {
    key: 'tlskey',
    help: 'TLS private key (PEM) for tlscert',
    default: '(none)',
    parse: path,
  },
  // ── JSON-RPC ──
  {
    key: 'rpcport',
    help: 'JSON-RPC port',
    default: '24001 / 24101 / 24201',
    parse: parsePort,
  },
  {
    key: 'rpcuser',
    help: 'JSON-RPC user name (Basic auth); without it, the cookie file',
    default: '(cookie)',
    parse: nonEmpty,
  },
  {
    key: 'rpcpassword',
    help: "JSON-RPC password for rpcuser (no '#')",
    default: '(cookie)',
    parse: nonEmpty,
  },
  {
    key: 'rpcbind',
    list: true,
    help: 'address[:port] the RPC server binds to; beyond loopback only with rpcallowip',
    default: '127.0.0.1',
    parse: parseHostPort,
  },
  {
    key: 'rpcallowip',
    list: true,
    help: 'client address or subnet allowed besides loopback',
    default: '(loopback only)',
    parse: parseSubnet,
  },
  // ── masternode ──
  {
    key: 'masternodeprivkey',
    help: 'masternode voting key, 64 hex digits (prefer masternodekeyfile)',
    default: '(none: a full node)',
    parse: secretKeyHex,
  },
  {
    key: 'masternodekeyfile',
    help: 'masternode key file (mode 0600)',
    default: '(none)',
    parse: path,
  },
  {
    key: 'masternodewallet',
    env: 'MASTERNODE_WALLET',
    help: 'address of the masternode operator’s wallet',
    default: '(none)',
    parse: address,
  },
  // ── relay and defence ──
  {
    key: 'enable_message_signing',
    help: 'relayed consensus messages carry a signature and a timestamp',
    default: '1',
    parse: parseBool,
  },
  {
    key: 'message_max_age_seconds',
    help: 'relayed messages older than this are not relayed (never a validity rule)',
    default: '300',
    parse: positive,
  },
  {
    key: 'enable_rate_limiting',
    help: 'per-peer token buckets on inbound frames',
    default: '1',
    parse: parseBool,
  },
  {
    key: 'max_requests_per_second',
    help: 'frames one peer may send per second in each message class',
    default: '1000',
    parse: positive,
  },
  {
    key: 'committee_max_requests_per_second',
    help: "the same for a current committee member's frames on its committee link",
    default: '20000',
    parse: positive,
  },
  {
    key: 'banscore',
    help: 'penalty score at which a peer is banned',
    default: '100',
    parse: positive,
  },
  {
    key: 'bantime',
    help: 'seconds a ban lasts',
    default: '3600',
    parse: positive,
  },
  {
    key: 'maxconnectionsperip',
    help: 'connections from one IP address (IPv6: one /64)',
    default: '32',
    parse: count,
  },
  {
    key: 'exempt_loopback',
    help: 'loopback escapes the per-IP cap and the blacklist (devnets, a local proxy)',
    default: '0',
    parse: parseBool,
  },
  {
    key: 'blacklist_banned_ips',
    help: "a ban also blacklists the peer's IP addresses",
    default: '1',
    parse: parseBool,
  },
  {
    key: 'ip_blacklist_seconds',
    help: 'seconds an IP address stays blacklisted',
    default: '3600',
    parse: positive,
  },
  // ── observability ──
  {
    key: 'metricsport',
    help: 'Prometheus /metrics port',
    default: '24003 / 24103 / 24203',
    parse: parsePort,
  },
  {
    key: 'metricsbind',
    help: 'address the metrics server binds to',
    default: '127.0.0.1',
    parse: parseHost,
  },
  {
    key: 'loglevel',
    help: LOG_LEVELS.join(', '),
    default: 'info',
    parse: oneOf(LOG_LEVELS),
  },
  // ── resources ──
  {
    key: 'verifythreads',
    help: 'worker threads verifying signatures; 0: on the node’s own thread',
    default: 'twice the cores',
    parse: (text) => parseInteger(text, 0, 256, 'a thread count'),
  },
  {
    key: 'maxmempool',
    help: 'transactions the mempool holds at most (pending and final until in a block)',
    default: '50000',
    parse: (text) => parseInteger(text, 100, 10_000_000, 'a transaction count'),
  },
]

export const SETTINGS_BY_KEY: ReadonlyMap<string, SettingSpec> = new Map(
  SETTING_SPECS.map((s) => [s.key, s]),
)

/** The known key closest to `key` by edit distance (at most 2), for "did you mean …?". */
export function closestKey(key: string): string | undefined {
  let best: string | undefined
  let bestDistance = 3
  for (const spec of SETTING_SPECS) {
    const d = editDistance(key, spec.key)
    if (d < bestDistance) {
      best = spec.key
      bestDistance = d
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(
        prev[j]! + 1,
        row[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      )
    prev = row
  }
  return prev[b.length]!
}
