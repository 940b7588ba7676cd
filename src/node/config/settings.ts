/**
 * One typed `Settings` object for a node, resolved from four layers, highest first: command-line
 * flags, the environment (`NETWORK_TYPE`, `P2P_PORT`, `MASTERNODE_WALLET`), `time.conf` (its
 * `[network]` section over its top), and the defaults (per network for ports). The network is
 * settled first, from the same layers, because it picks the section, the default ports and how
 * addresses read. Invariants: every key any layer names is known (else CONFIG_UNKNOWN_SETTING);
 * every value is parsed and checked before the object exists, and an error names the file and
 * line, the flag or the variable it came from; a non-list key given twice in one file is an
 * error, never "last one wins"; the result is frozen.
 */
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import type { DefenceSettings } from '../../core/net/defence/settings.ts'
import type { Address } from '../../core/primitives/address.ts'
import type { NetworkName } from '../../core/primitives/network.ts'
import { ConfigError, describeSource, type SettingSource } from '../errors.ts'
import { type ConfEntry, parseConf } from './conf-file.ts'
import { NETWORK_PORTS } from './ports.ts'
import {
  closestKey,
  type HostPort,
  type LogLevel,
  type ParseContext,
  SETTINGS_BY_KEY,
  type SettingSpec,
} from './setting-specs.ts'

/**
 * `maxconnections`: the committee's reserved 40% (800) leaves 1,200 connections — the 1,000
 * wallet subscribers one masternode serves (the wallet service's `maxWallets`) and 200 relay peers,
 * full nodes and dials in flight. The Node host's own default is the same (a test checks).
 */
export const DEFAULT_MAX_CONNECTIONS = 2_000

export interface RpcSettings {
  readonly port: number
  /** Basic-auth credentials; without them the server writes a cookie file. */
  readonly user: string | undefined
  readonly password: string | undefined
  /** Where the server listens (a missing port is `port`): 127.0.0.1 unless configured. */
  readonly bind: readonly HostPort[]
  /** Client subnets allowed besides loopback. */
  readonly allowIp: readonly string[]
}

export interface Settings {
  readonly network: NetworkName
  /** The data directory's root (each network has a sub-folder: see src/node/datadir). */
  readonly datadir: string
  /** The settings file that was read, if one existed. */
  readonly conf: string | undefined
  readonly genesis: string | undefined
  readonly p2p: {
    readonly listen: boolean
    readonly bind: string
    readonly port: number
    readonly wsPort: number
    readonly externalIp: readonly string[]
    readonly maxConnections: number
    /** Multiaddrs (host:port given in time.conf is converted). */
    readonly addNode: readonly string[]
    /** Certificate and key for wss://; undefined serves ws://. */
    readonly tls: { readonly cert: string; readonly key: string } | undefined
  }
  readonly rpc: RpcSettings
  readonly masternode: {
    /** The voting key's 32-byte secret from `masternodeprivkey`. */
    readonly secretKey: Uint8Array | undefined
    readonly keyFile: string | undefined
    readonly wallet: Address | undefined
  }
  readonly messageSigning: boolean
  /** The defence settings given explicitly; the daemon completes them with `defenceSettings`. */
  readonly defence: Partial<DefenceSettings>
  readonly metrics: { readonly port: number; readonly bind: string }
  readonly logLevel: LogLevel
  /** Signature-verification worker threads (0: none, on the node's thread; unset: twice the cores). */
  readonly verifyThreads: number | undefined
  /** The mempool's transaction limit (unset: the ledger's default, 50,000). */
  readonly maxMempool: number | undefined
}

/** A flag's value as commander gives it: text, a repeated flag's texts, or a bare `--flag`. */
export type FlagValue = string | boolean | readonly string[] | undefined

export interface SettingsInput {
  /** Command-line settings by key (`{ rpcport: '9000', addnode: ['a:1', 'b:2'] }`). */
  readonly flags?: Readonly<Record<string, FlagValue>>
  /** The environment (default `process.env`); only the documented variables are read. */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Home directory for the default data directory (default `os.homedir()`). */
  readonly home?: string
  /** Base of relative paths given as flags or variables (default `process.cwd()`). */
  readonly cwd?: string
}

/** A value as written somewhere, before it is parsed. */
interface Raw {
  readonly texts: readonly string[]
  readonly source: SettingSource
}

export function defaultDatadir(home: string = homedir()): string {
  return join(home, '.timecoin')
}

function unknown(key: string, source: SettingSource): ConfigError {
  const near = closestKey(key)
  return new ConfigError(
    'CONFIG_UNKNOWN_SETTING',
    `${describeSource(source, key)}: unknown setting "${key}"${near === undefined ? '' : ` (did you mean ${near}?)`}`,
    source,
  )
}

function invalid(key: string, source: SettingSource, problem: string): ConfigError {
  return new ConfigError(
    'CONFIG_INVALID_SETTING',
    `${describeSource(source, key)}: ${key}: ${problem}`,
    source,
  )
}

function flagTexts(value: FlagValue): string[] {
  if (value === undefined) return []
  if (value === true) return ['1']
  if (value === false) return ['0']
  return typeof value === 'string' ? [value] : [...value]
}

/** One layer of raw values; `add` refuses a non-list key twice and, in a file, a CLI-only key. */
class Layer {
  readonly values = new Map<string, Raw>()

  add(key: string, text: string, source: SettingSource): void {
    const spec = SETTINGS_BY_KEY.get(key)
    if (spec === undefined) throw unknown(key, source)
    if (source.kind === 'file' && spec.scope === 'cli')
      throw invalid(key, source, 'can only be given on the command line')
    const prev = this.values.get(key)
    if (prev !== undefined && spec.list !== true) {
      const where = prev.source.kind === 'file' ? ` (first on line ${prev.source.line})` : ''
      throw invalid(key, source, `given twice${where}; it takes one value`)
    }
    this.values.set(key, { texts: [...(prev?.texts ?? []), text], source })
  }
}

function readConf(path: string, explicit: boolean): { text: string; path: string } | undefined {
  try {
    return { text: readFileSync(path, 'utf8'), path }
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    if (code === 'ENOENT' && !explicit) return undefined
    throw new ConfigError(
      'CONFIG_FILE_UNREADABLE',
      `cannot read settings file ${path}: ${code === 'ENOENT' ? 'no such file' : String(cause)}`,
      undefined,
      cause,
    )
  }
}

/** The network one layer names (network=…, testnet=1), checking the two agree. */
function networkOf(layer: Layer): { network: NetworkName; source: SettingSource } | undefined {
  const ctx: ParseContext = { network: 'mainnet', baseDir: '/' }
  const named = layer.values.get('network')
  const testnet = layer.values.get('testnet')
  const network = named === undefined ? undefined : (parsed('network', named, ctx) as NetworkName)
  const isTestnet = testnet === undefined ? false : (parsed('testnet', testnet, ctx) as boolean)
  if (isTestnet && network !== undefined && network !== 'testnet')
    throw invalid('testnet', testnet!.source, `testnet=1 contradicts network=${network}`)
  if (network !== undefined) return { network, source: named!.source }
  if (isTestnet) return { network: 'testnet', source: testnet!.source }
  return undefined
}

function parsed(key: string, raw: Raw, ctx: ParseContext): unknown {
  const spec = SETTINGS_BY_KEY.get(key) as SettingSpec
  const values = raw.texts.map((text) => {
    try {
      return spec.parse(text, ctx)
    } catch (e) {
      throw invalid(key, raw.source, (e as Error).message)
    }
  })
  return spec.list === true ? values : values[0]
}

/** Resolves the settings of one node from its flags, environment and `time.conf`. */
export function resolveSettings(input: SettingsInput = {}): Settings {
  const env = input.env ?? process.env
  const cwd = input.cwd ?? process.cwd()
  const flags = new Layer()
  for (const [key, value] of Object.entries(input.flags ?? {}))
    for (const text of flagTexts(value)) flags.add(key, text, { kind: 'flag' })
  const environment = new Layer()
  for (const spec of SETTINGS_BY_KEY.values()) {
    const text = spec.env === undefined ? undefined : env[spec.env]
    if (text !== undefined && text !== '')
      environment.add(spec.key, text, { kind: 'env', name: spec.env! })
  }
  const cliCtx: ParseContext = { network: 'mainnet', baseDir: cwd }
  const datadirRaw = flags.values.get('datadir')
  const datadir =
    datadirRaw === undefined
      ? defaultDatadir(input.home)
      : (parsed('datadir', datadirRaw, cliCtx) as string)
  const confRaw = flags.values.get('conf')
  const confPath =
    confRaw === undefined ? join(datadir, 'time.conf') : (parsed('conf', confRaw, cliCtx) as string)
  const file = readConf(confPath, confRaw !== undefined)
  const entries = file === undefined ? [] : parseConf(file.text, file.path)

  const top = new Layer()
  const sections = new Map<NetworkName, Layer>()
  const fileSource = (e: ConfEntry): SettingSource => ({
    kind: 'file',
    path: confPath,
    line: e.line,
  })
  for (const e of entries) {
    if (e.section === null) {
      top.add(e.key, e.value, fileSource(e))
      continue
    }
    if (SETTINGS_BY_KEY.get(e.key)?.global === true)
      throw invalid(e.key, fileSource(e), `cannot be set inside the [${e.section}] section`)
    const layer = sections.get(e.section) ?? new Layer()
    sections.set(e.section, layer)
    layer.add(e.key, e.value, fileSource(e))
  }

  const network =
    (networkOf(flags) ?? networkOf(environment) ?? networkOf(top))?.network ?? 'mainnet'
  const fileCtx: ParseContext = { network, baseDir: dirname(confPath) }
  const envCtx: ParseContext = { network, baseDir: cwd }
  // Highest layer first: the first that gives a key decides it (a list included, whole).
  const layers: [Layer, ParseContext][] = [
    [flags, envCtx],
    [environment, envCtx],
    [sections.get(network) ?? new Layer(), fileCtx],
    [top, fileCtx],
  ]
  const winners = new Map<string, Raw & { ctx: ParseContext }>()
  for (const [layer, ctx] of layers)
    for (const [key, raw] of layer.values) if (!winners.has(key)) winners.set(key, { ...raw, ctx })
  const get = <T>(key: string): T | undefined => {
    const raw = winners.get(key)
    return raw === undefined ? undefined : (parsed(key, raw, raw.ctx) as T)
  }
  const source = (key: string): SettingSource => winners.get(key)!.source

  const ports = NETWORK_PORTS[network]
  const tlsCert = get<string>('tlscert')
  const tlsKey = get<string>('tlskey')
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    const given = tlsCert === undefined ? 'tlskey' : 'tlscert'
    throw invalid(given, source(given), 'tlscert and tlskey go together')
  }
  const user = get<string>('rpcuser')
  const password = get<string>('rpcpassword')
  if ((user === undefined) !== (password === undefined)) {
    const given = user === undefined ? 'rpcpassword' : 'rpcuser'
    throw invalid(given, source(given), 'rpcuser and rpcpassword go together')
  }
  const rpcPort = get<number>('rpcport') ?? ports.rpc
  const allowIp = get<string[]>('rpcallowip') ?? []
  const bind = get<HostPort[]>('rpcbind') ?? [{ host: '127.0.0.1', port: undefined }]
  // bitcoind ignores rpcbind without rpcallowip; here it is an error rather than a surprise.
  const exposed = bind.find((b) => !isLoopbackHost(b.host))
  if (exposed !== undefined && allowIp.length === 0)
    throw invalid(
      'rpcbind',
      source('rpcbind'),
      `${exposed.host} is not loopback: add rpcallowip=<subnet> for the clients it should serve`,
    )
  const secretKey = get<Uint8Array>('masternodeprivkey')
  const keyFile = get<string>('masternodekeyfile')
  if (secretKey !== undefined && keyFile !== undefined)
    throw invalid(
      'masternodekeyfile',
      source('masternodekeyfile'),
      'give masternodeprivkey or masternodekeyfile, not both',
    )

  const defence: { -readonly [K in keyof DefenceSettings]?: DefenceSettings[K] } = {}
  const defenceKeys: [string, keyof DefenceSettings][] = [
    ['enable_rate_limiting', 'enableRateLimiting'],
    ['max_requests_per_second', 'maxRequestsPerSecond'],
    ['committee_max_requests_per_second', 'committeeRequestsPerSecond'],
    ['message_max_age_seconds', 'messageMaxAgeSeconds'],
    ['banscore', 'banScore'],
    ['bantime', 'banDurationSeconds'],
    ['maxconnectionsperip', 'maxConnectionsPerIp'],
    ['exempt_loopback', 'exemptLoopback'],
    ['blacklist_banned_ips', 'blacklistBannedIps'],
    ['ip_blacklist_seconds', 'ipBlacklistSeconds'],
  ]
  for (const [key, field] of defenceKeys) {
    const v = get<never>(key)
    if (v !== undefined) defence[field] = v
  }

  return deepFreeze({
    network,
    datadir,
    conf: file?.path,
    genesis: get<string>('genesis'),
    p2p: {
      listen: get<boolean>('listen') ?? true,
      bind: get<string>('bind') ?? '0.0.0.0',
      port: get<number>('port') ?? ports.p2p,
      wsPort: get<number>('wsport') ?? ports.ws,
      externalIp: get<string[]>('externalip') ?? [],
      maxConnections: get<number>('maxconnections') ?? DEFAULT_MAX_CONNECTIONS,
      addNode: get<string[]>('addnode') ?? [],
      tls: tlsCert === undefined ? undefined : { cert: tlsCert, key: tlsKey! },
    },
    rpc: { port: rpcPort, user, password, bind, allowIp },
    masternode: { secretKey, keyFile, wallet: get<Address>('masternodewallet') },
    messageSigning: get<boolean>('enable_message_signing') ?? true,
    defence,
    metrics: {
      port: get<number>('metricsport') ?? ports.metrics,
      bind: get<string>('metricsbind') ?? '127.0.0.1',
    },
    logLevel: get<LogLevel>('loglevel') ?? 'info',
    verifyThreads: get<number>('verifythreads'),
    maxMempool: get<number>('maxmempool'),
  })
}

/** 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

/** The settings with secrets (rpcpassword, the masternode key) replaced, for logs. */
export function redactedSettings(s: Settings): unknown {
  return {
    ...s,
    rpc: { ...s.rpc, password: s.rpc.password === undefined ? undefined : '<redacted>' },
    masternode: {
      ...s.masternode,
      secretKey: s.masternode.secretKey === undefined ? undefined : '<redacted>',
    },
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}
