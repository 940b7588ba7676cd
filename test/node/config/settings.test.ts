// The node's settings: flags > environment > time.conf (its network section over its top) >
// defaults, every unknown or malformed setting a typed error that names its file and line (or
// its flag or variable), and the same keys as commander options.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { afterAll, describe, expect, it } from 'vitest'
import { addressFromPublicKey, bytesToHex, generateKeyPair } from '../../../src/core/index.ts'
import {
  addSettingOptions,
  NETWORK_PORTS,
  parseConf,
  redactedSettings,
  resolveSettings,
  SETTING_SPECS,
  settingFlags,
} from '../../../src/node/config/index.ts'
import { ConfigError } from '../../../src/node/errors.ts'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** A data directory holding `conf` as its time.conf. */
function datadir(conf?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'timecoin-settings-'))
  dirs.push(dir)
  if (conf !== undefined) writeFileSync(join(dir, 'time.conf'), conf)
  return dir
}

function configError(f: () => unknown): ConfigError {
  try {
    f()
  } catch (e) {
    if (e instanceof ConfigError) return e
    throw e
  }
  throw new Error('expected a ConfigError')
}

describe('settings', () => {
  it('defaults: mainnet ports, ~/.timecoin, RPC on 127.0.0.1 with the cookie', () => {
    const s = resolveSettings({ env: {}, home: '/home/op', flags: { datadir: datadir() } })
    expect(s.network).toBe('mainnet')
    expect(s.p2p).toMatchObject({ port: 24000, wsPort: 24002, listen: true, maxConnections: 2000 })
    expect(s.rpc).toEqual({
      port: 24001,
      user: undefined,
      password: undefined,
      bind: [{ host: '127.0.0.1', port: undefined }],
      allowIp: [],
    })
    expect(s.metrics).toEqual({ port: 24003, bind: '127.0.0.1' })
    expect(s.conf).toBeUndefined()
    expect(s.logLevel).toBe('info')
    expect(s.messageSigning).toBe(true)
    expect(s.defence).toEqual({})
    expect(Object.isFrozen(s.p2p)).toBe(true)
    expect(resolveSettings({ env: {}, home: '/home/op' }).datadir).toBe('/home/op/.timecoin')
  })

  it('ports follow the network: testnet=1 in time.conf, NETWORK_TYPE, --network', () => {
    const dir = datadir('testnet=1\n')
    const s = resolveSettings({ env: {}, flags: { datadir: dir } })
    expect(s.network).toBe('testnet')
    expect([s.p2p.port, s.rpc.port, s.p2p.wsPort, s.metrics.port]).toEqual([
      24100, 24101, 24102, 24103,
    ])
    expect(
      resolveSettings({ env: { NETWORK_TYPE: 'devnet' }, flags: { datadir: dir } }).network,
    ).toBe('devnet')
    expect(
      resolveSettings({
        env: { NETWORK_TYPE: 'devnet' },
        flags: { datadir: dir, network: 'mainnet' },
      }).network,
    ).toBe('mainnet')
    expect(resolveSettings({ env: {}, flags: { datadir: dir, network: 'devnet' } }).rpc.port).toBe(
      NETWORK_PORTS.devnet.rpc,
    )
  })

  it('flags > environment > time.conf section > time.conf top > defaults', () => {
    const conf = [
      '# a node',
      'port=25000',
      'rpcport = 25001 # trailing comment',
      'maxconnections=40',
      'addnode=10.0.0.1:24000',
      'addnode=seed.example.org:24000',
      '[mainnet]',
      'maxconnections=50',
      '[testnet]',
      'maxconnections=60',
      '',
    ].join('\n')
    const dir = datadir(conf)
    const fileOnly = resolveSettings({ env: {}, flags: { datadir: dir } })
    expect(fileOnly.p2p.port).toBe(25000)
    expect(fileOnly.rpc.port).toBe(25001)
    expect(fileOnly.p2p.maxConnections).toBe(50)
    expect(fileOnly.p2p.addNode).toEqual([
      '/ip4/10.0.0.1/tcp/24000',
      '/dns/seed.example.org/tcp/24000',
    ])
    expect(fileOnly.conf).toBe(join(dir, 'time.conf'))
    const env = resolveSettings({ env: { P2P_PORT: '26000' }, flags: { datadir: dir } })
    expect(env.p2p.port).toBe(26000)
    const flags = resolveSettings({
      env: { P2P_PORT: '26000' },
      flags: { datadir: dir, port: '27000', addnode: ['/ip4/1.2.3.4/tcp/24000'] },
    })
    expect(flags.p2p.port).toBe(27000)
    // A list given by a higher layer replaces the lower one's whole.
    expect(flags.p2p.addNode).toEqual(['/ip4/1.2.3.4/tcp/24000'])
    expect(
      resolveSettings({ env: {}, flags: { datadir: dir, network: 'testnet' } }).p2p.maxConnections,
    ).toBe(60)
  })

  it('MASTERNODE_WALLET is an address of the chosen network', () => {
    const key = generateKeyPair()
    const testnet = addressFromPublicKey(key.publicKey, 'testnet')
    const dir = datadir()
    const s = resolveSettings({
      env: { MASTERNODE_WALLET: testnet, NETWORK_TYPE: 'testnet' },
      flags: { datadir: dir },
    })
    expect(s.masternode.wallet).toBe(testnet)
    const e = configError(() =>
      resolveSettings({ env: { MASTERNODE_WALLET: testnet }, flags: { datadir: dir } }),
    )
    expect(e.code).toBe('CONFIG_INVALID_SETTING')
    expect(e.message).toMatch(/^\$MASTERNODE_WALLET: masternodewallet: not a mainnet address/)
  })

  it('reads every documented key of time.conf', () => {
    const secret = bytesToHex(generateKeyPair().secretKey)
    const conf = [
      'listen=0',
      'bind=10.1.1.1',
      'wsport=25002',
      'externalip=203.0.113.7',
      'externalip=node.example.org',
      'rpcuser=alice',
      'rpcpassword=s3cret',
      'rpcbind=0.0.0.0:25001',
      'rpcbind=[::1]',
      'rpcallowip=10.0.0.0/8',
      'rpcallowip=192.168.1.0/255.255.255.0',
      'rpcallowip=fd00::/8',
      `masternodeprivkey=${secret}`,
      'enable_message_signing=0',
      'message_max_age_seconds=120',
      'enable_rate_limiting=0',
      'max_requests_per_second=50',
      'banscore=200',
      'bantime=60',
      'maxconnectionsperip=4',
      'exempt_loopback=1',
      'tlscert=certs/node.pem',
      'tlskey=/etc/timecoin/node.key',
      'metricsport=9100',
      'metricsbind=0.0.0.0',
      'loglevel=debug',
      'maxmempool=2000',
      'genesis=genesis.json',
    ].join('\n')
    const dir = datadir(conf)
    const s = resolveSettings({ env: {}, flags: { datadir: dir } })
    expect(s.p2p).toMatchObject({
      listen: false,
      bind: '10.1.1.1',
      wsPort: 25002,
      externalIp: ['203.0.113.7', 'node.example.org'],
      tls: { cert: join(dir, 'certs/node.pem'), key: '/etc/timecoin/node.key' },
    })
    expect(s.rpc).toMatchObject({
      user: 'alice',
      password: 's3cret',
      bind: [
        { host: '0.0.0.0', port: 25001 },
        { host: '::1', port: undefined },
      ],
      allowIp: ['10.0.0.0/8', '192.168.1.0/255.255.255.0', 'fd00::/8'],
    })
    expect(bytesToHex(s.masternode.secretKey!)).toBe(secret)
    expect(s.messageSigning).toBe(false)
    expect(s.defence).toEqual({
      messageMaxAgeSeconds: 120,
      enableRateLimiting: false,
      maxRequestsPerSecond: 50,
      banScore: 200,
      banDurationSeconds: 60,
      maxConnectionsPerIp: 4,
      exemptLoopback: true,
    })
    expect(s.metrics).toEqual({ port: 9100, bind: '0.0.0.0' })
    expect(s.logLevel).toBe('debug')
    expect(s.maxMempool).toBe(2000)
    expect(s.genesis).toBe(join(dir, 'genesis.json'))
    const shown = JSON.stringify(redactedSettings(s))
    expect(shown).not.toContain('s3cret')
    expect(shown).toContain('<redacted>')
  })

  it('names the file and line of an unknown or malformed setting', () => {
    const cases: [string, string, RegExp][] = [
      [
        'listen=1\nrpcpasword=x\n',
        'CONFIG_UNKNOWN_SETTING',
        /time\.conf:2: unknown setting "rpcpasword" \(did you mean rpcpassword\?\)/,
      ],
      [
        '\n\nrpcport=abc\n',
        'CONFIG_INVALID_SETTING',
        /time\.conf:3: rpcport: expected a port, got "abc"/,
      ],
      [
        'port=70000\n',
        'CONFIG_INVALID_SETTING',
        /time\.conf:1: port: expected a port \(0…65535\), got 70000/,
      ],
      ['# c\nlisten=yes\n', 'CONFIG_INVALID_SETTING', /time\.conf:2: listen: expected 1 or 0/],
      [
        'rpcport=1\nrpcport=2\n',
        'CONFIG_INVALID_SETTING',
        /time\.conf:2: rpcport: given twice \(first on line 1\)/,
      ],
      ['just words\n', 'CONFIG_INVALID_SETTING', /time\.conf:1: expected key=value/],
      ['[regtest]\n', 'CONFIG_UNKNOWN_SETTING', /time\.conf:1: unknown section \[regtest\]/],
      [
        '[testnet]\ntestnet=1\n',
        'CONFIG_INVALID_SETTING',
        /time\.conf:2: testnet: cannot be set inside the \[testnet\] section/,
      ],
      [
        'rpcuser=a\nrpcpassword=pa#ss\n',
        'CONFIG_INVALID_SETTING',
        /time\.conf:2: rpcpassword may not contain '#'/,
      ],
      [
        'rpcuser=a\n',
        'CONFIG_INVALID_SETTING',
        /time\.conf:1: rpcuser: rpcuser and rpcpassword go together/,
      ],
      [
        'rpcbind=0.0.0.0\n',
        'CONFIG_INVALID_SETTING',
        /time\.conf:1: rpcbind: 0\.0\.0\.0 is not loopback: add rpcallowip/,
      ],
      [
        'rpcallowip=10.0.0.0/33\n',
        'CONFIG_INVALID_SETTING',
        /time\.conf:1: rpcallowip: expected a prefix length/,
      ],
      [
        'addnode=nohost\n',
        'CONFIG_INVALID_SETTING',
        /time\.conf:1: addnode: expected host:port or a multiaddr/,
      ],
      [
        'masternodeprivkey=abcd\n',
        'CONFIG_INVALID_SETTING',
        /time\.conf:1: masternodeprivkey: expected the 32-byte secret key/,
      ],
      [
        'datadir=/x\n',
        'CONFIG_INVALID_SETTING',
        /time\.conf:1: datadir: can only be given on the command line/,
      ],
      [
        'network=devnet\ntestnet=1\n',
        'CONFIG_INVALID_SETTING',
        /time\.conf:2: testnet: testnet=1 contradicts network=devnet/,
      ],
      [
        'tlscert=a.pem\n',
        'CONFIG_INVALID_SETTING',
        /time\.conf:1: tlscert: tlscert and tlskey go together/,
      ],
      ['maxmempool=99\n', 'CONFIG_INVALID_SETTING', /time\.conf:1: maxmempool: /],
      [
        'loglevel=loud\n',
        'CONFIG_INVALID_SETTING',
        /time\.conf:1: loglevel: expected one of trace, debug/,
      ],
    ]
    for (const [conf, code, message] of cases) {
      const dir = datadir(conf)
      const e = configError(() => resolveSettings({ env: {}, flags: { datadir: dir } }))
      expect(e.code, conf).toBe(code)
      expect(e.message, conf).toMatch(message)
      expect(e.message.startsWith(join(dir, 'time.conf')), conf).toBe(true)
    }
  })

  it('names the flag or variable of a bad value, and refuses unknown flags', () => {
    const dir = datadir()
    expect(
      configError(() => resolveSettings({ env: {}, flags: { datadir: dir, rpcport: 'x' } }))
        .message,
    ).toMatch(/^--rpcport: rpcport: expected a port/)
    expect(
      configError(() => resolveSettings({ env: { P2P_PORT: '-1' }, flags: { datadir: dir } }))
        .message,
    ).toMatch(/^\$P2P_PORT: port: expected a port/)
    const e = configError(() => resolveSettings({ env: {}, flags: { datadir: dir, rpcprot: '1' } }))
    expect(e.code).toBe('CONFIG_UNKNOWN_SETTING')
    expect(e.message).toBe('--rpcprot: unknown setting "rpcprot" (did you mean rpcport?)')
    expect(
      configError(() =>
        resolveSettings({ env: { NETWORK_TYPE: 'regtest' }, flags: { datadir: dir } }),
      ).message,
    ).toMatch(/^\$NETWORK_TYPE: network: expected one of mainnet, testnet, devnet/)
  })

  it('a --conf that does not exist is an error; a missing default time.conf is not', () => {
    const dir = datadir()
    const e = configError(() =>
      resolveSettings({ env: {}, flags: { datadir: dir, conf: join(dir, 'nope.conf') } }),
    )
    expect(e.code).toBe('CONFIG_FILE_UNREADABLE')
    expect(e.message).toContain('nope.conf')
    expect(resolveSettings({ env: {}, flags: { datadir: dir } }).conf).toBeUndefined()
  })

  it('parses comments, blank lines, CRLF and sections, keeping line numbers', () => {
    expect(
      parseConf('\uFEFF# top\r\n  addnode = a:1  \r\n\r\n[devnet]\r\nport=1 # x\r\n', 'f'),
    ).toEqual([
      { key: 'addnode', value: 'a:1', section: null, line: 2 },
      { key: 'port', value: '1', section: 'devnet', line: 5 },
    ])
  })

  it('every setting is a commander option, read back by key', () => {
    const command = addSettingOptions(new Command().exitOverride())
    command.parse(
      [
        '--rpcport',
        '9000',
        '--addnode',
        'a:1',
        '--addnode',
        'b:2',
        '--testnet',
        '--enable_rate_limiting',
        '0',
      ],
      { from: 'user' },
    )
    const flags = settingFlags(command.opts())
    expect(flags).toEqual({
      rpcport: '9000',
      addnode: ['a:1', 'b:2'],
      testnet: true,
      enable_rate_limiting: '0',
    })
    const s = resolveSettings({ env: {}, flags: { ...flags, datadir: datadir() } })
    expect(s.network).toBe('testnet')
    expect(s.p2p.addNode).toEqual(['/dns/a/tcp/1', '/dns/b/tcp/2'])
    expect(s.defence.enableRateLimiting).toBe(false)
    expect(command.options.map((o) => o.attributeName())).toEqual(SETTING_SPECS.map((s) => s.key))
  })

  it("docs/OPERATIONS.md lists every setting with its default, in the table's order", () => {
    const doc = readFileSync(join(import.meta.dirname, '../../../docs/OPERATIONS.md'), 'utf8')
    const table = doc.slice(doc.indexOf('| setting | default | meaning |')).split('\n\n')[0]!
    const rows = [...table.matchAll(/^\| `([a-z_]+)` \| ([^|]+) \|/gm)].map((m) => [
      m[1],
      m[2]!.trim(),
    ])
    expect(rows).toEqual(SETTING_SPECS.map((s) => [s.key, s.default]))
  })
})
