// One `timecoin masternode` process, alone (a member of a three-member devnet committee, so what
// it is sent stays pending and its state holds still), on ports the system picks, serving wss://
// with a self-signed certificate. Against it: malformed JSON, a body that is no request, a batch
// with an invalid entry, an oversize body, wrong and missing credentials, an unknown method and
// parameters of the wrong type each get their JSON-RPC error (and HTTP status), and afterwards
// the node's block count, tip, mempool, UTXO set and bans are what they were and it still answers;
// the RPC and metrics servers listen on 127.0.0.1 only, as the process reports them and the
// kernel's socket table shows (no traffic to any other address); `setban` of 127.0.0.2 closes the
// libp2p connection dialled from 127.0.0.2 and refuses new ones from there while 127.0.0.3 is
// served, until the ban is lifted; bans survive an RPC stop and a restart (banlist.json); a libp2p
// client trusting the certificate dials the node's /tls/ws address, and a key that is not the
// certificate's stops a start (exit 2). Every wait is bounded; the process is stopped (SIGTERM,
// then SIGKILL) in teardown.
import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { request } from 'node:http'
import { connect } from 'node:net'
import { join } from 'node:path'
import { type TCPSocketOptions, tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bytesToHex } from '../../src/core/encoding/bytes.ts'
import { handshake } from '../../src/core/net/index.ts'
import { addressPayloadFromPublicKey } from '../../src/core/primitives/address.ts'
import { type Amount, COIN, MIN_FEE } from '../../src/core/primitives/amount.ts'
import { computeTxid, encodeTransaction } from '../../src/core/primitives/transaction.ts'
import { signTransaction } from '../../src/core/primitives/transaction-signing.ts'
import { txidToHex } from '../../src/core/primitives/txid.ts'
import { PeerRole } from '../../src/core/protocol/handshake.ts'
import { datadirLayout } from '../../src/node/datadir/layout.ts'
import { devnetGenesis, writeNewGenesis } from '../../src/node/genesis/genesis-builder.ts'
import { createNodeHost } from '../../src/node/net/host.ts'
import {
  type CliRun,
  eventually,
  runCli,
  stopDevnets,
  tempDir,
} from '../support/devnet-processes.ts'
import { listeningAddresses } from '../support/listening-addresses.ts'
import { selfSignedCert } from '../support/self-signed.ts'

const DIAL = join(import.meta.dirname, '../support/wss-dial.ts')
const MAX_BODY = 4 * 1024 * 1024

let node: CliRun
let dir: string
let certFile: string
let rpcUrl: string
let rpcPort: number
let metricsPort: number
let p2pPort: number
let wssAddress: string
let auth: string
let pendingTxid: string
let genesisHash: Uint8Array
const hosts: { stop(): void | Promise<void> }[] = []

interface Answer {
  status: number
  body: unknown
}

async function post(
  body: string,
  options: { authorization?: string | null; timeoutMs?: number } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  const authorization = options.authorization === undefined ? auth : options.authorization
  if (authorization !== null) headers.authorization = authorization
  const res = await fetch(rpcUrl, {
    method: 'POST',
    headers,
    body,
    signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
  })
  const text = await res.text()
  let parsed: unknown = text
  try {
    parsed = text === '' ? undefined : JSON.parse(text)
  } catch {}
  return { status: res.status, body: parsed }
}

/** A POST that declares a body one byte over the limit, and sends none of it. */
function oversize(): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(rpcUrl, {
      method: 'POST',
      headers: {
        authorization: auth,
        'content-type': 'application/json',
        'content-length': String(MAX_BODY + 1),
      },
      timeout: 30_000,
    })
    req.once('response', (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => {
        text += d
      })
      res.once('end', () => {
        req.destroy()
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) })
      })
    })
    req.once('timeout', () => {
      req.destroy()
      reject(new Error('no answer to the oversize request within 30 s'))
    })
    req.once('error', reject)
    req.flushHeaders()
  })
}

async function call(method: string, params: unknown[] = []): Promise<unknown> {
  const { body } = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }))
  const answer = body as { result?: unknown; error?: { code: number; message: string } }
  if (answer.error !== undefined)
    throw new Error(`${method}: ${answer.error.code} ${answer.error.message}`)
  return answer.result
}

/** What the malformed requests must not change. */
async function state(): Promise<unknown> {
  return {
    blockcount: await call('getblockcount'),
    bestblock: await call('getbestblockhash'),
    mempool: await call('getmempoolinfo'),
    rawmempool: await call('getrawmempool'),
    utxos: await call('gettxoutsetinfo'),
    bans: await call('listbanned'),
    pending: await call('gettransactionfinality', [pendingTxid]),
  }
}

/** The first match of `re` in the node's output so far (waits for it, bounded). */
function reported(re: RegExp, what: string): Promise<RegExpExecArray> {
  return eventually(async () => re.exec(node.output()) ?? undefined, what, 60_000, 100)
}

/** Starts the masternode on `dir` and reads where it listens from what it reports. */
async function startNode(): Promise<void> {
  node = runCli(['masternode', '--datadir', dir])
  const early = Promise.race([
    node.exited.then((code) => {
      throw new Error(`the masternode exited (${code}): ${node.output()}`)
    }),
    reported(/\bready\b/, 'the masternode ready'),
  ])
  await early
  const rpcAt = await reported(/JSON-RPC on ([0-9.:]+):(\d+)/, 'the RPC address')
  rpcPort = Number(rpcAt[2])
  rpcUrl = `http://127.0.0.1:${rpcPort}/`
  const metricsAt = await reported(/metrics at http:\/\/([0-9.]+):(\d+)\/metrics/, 'metrics')
  metricsPort = Number(metricsAt[2])
  const tcpAt = await reported(
    /listening on (\/ip4\/127\.0\.0\.1\/tcp\/(\d+)\/p2p\/[A-Za-z0-9]+)/,
    'the TCP address',
  )
  p2pPort = Number(tcpAt[2])
  wssAddress = (
    await reported(
      /listening on (\/ip4\/127\.0\.0\.1\/tcp\/\d+\/tls\/ws\/p2p\/[A-Za-z0-9]+)/,
      'wss',
    )
  )[1]!
  const cookie = readFileSync(datadirLayout(dir, 'devnet').cookie, 'utf8').trim()
  auth = `Basic ${Buffer.from(cookie).toString('base64')}`
}

beforeAll(async () => {
  const root = await tempDir('timecoin-rpc-it-')
  const genesis = devnetGenesis({ seed: 'rpc hardening', masternodes: 3 })
  await writeNewGenesis(root, genesis)
  genesisHash = genesis.hash
  const cert = selfSignedCert(root)
  certFile = cert.certFile
  dir = join(root, 'node0')
  await mkdir(dir, { recursive: true })
  writeFileSync(
    join(dir, 'time.conf'),
    [
      'network=devnet',
      'genesis=../genesis.json',
      'masternodekeyfile=../keys/masternode-0.key',
      'bind=127.0.0.1',
      'port=0',
      'wsport=0',
      'rpcport=0',
      'metricsport=0',
      `tlscert=${cert.certFile}`,
      `tlskey=${cert.keyFile}`,
      'verifythreads=0',
      '',
    ].join('\n'),
  )
  await startNode()

  // A payment from the faucet: accepted, and pending for good (one member of three votes).
  const faucet = genesis.faucetKey!
  const value = genesis.spec.allocations[0]!.value
  const tx = signTransaction(
    {
      version: 1,
      inputs: [
        { outpoint: { txid: genesis.engine.genesis.txid, vout: 0 }, publicKey: faucet.publicKey },
      ],
      outputs: [
        { value: COIN as Amount, address: addressPayloadFromPublicKey(faucet.publicKey) },
        {
          value: (value - COIN - MIN_FEE) as Amount,
          address: addressPayloadFromPublicKey(faucet.publicKey),
        },
      ],
      lockTime: 0,
      payload: { type: 'none' },
    },
    [faucet.secretKey],
    genesis.hash,
  )
  pendingTxid = txidToHex(computeTxid(tx))
  expect(await call('sendrawtransaction', [bytesToHex(encodeTransaction(tx))])).toBe(pendingTxid)
  // The node counts its own Accept once its lock and decision are durable, a moment after the
  // answer: wait for it, so the state the tests compare has settled before the bad requests.
  await eventually(
    async () => {
      const finality = (await call('gettransactionfinality', [pendingTxid])) as {
        acceptweight: number
      }
      return finality.acceptweight > 0 ? finality : undefined
    },
    'the node counting its own Accept',
    30_000,
    50,
  )
}, 120_000)

afterAll(async () => {
  for (const h of hosts.splice(0))
    try {
      await h.stop()
    } catch {}
  if (node !== undefined) {
    node.child.kill('SIGTERM')
    const done = await Promise.race([
      node.exited,
      new Promise((r) => setTimeout(() => r('timeout'), 15_000)),
    ])
    if (done === 'timeout') node.child.kill('SIGKILL')
  }
  await stopDevnets()
}, 60_000)

describe('a masternode process refuses bad JSON-RPC and changes nothing', () => {
  it('answers each malformed request with its error, and its state is unchanged', async () => {
    const before = await state()
    expect((before as { mempool: { size: number } }).mempool.size).toBe(1)

    // Not JSON: -32700, HTTP 400.
    const parse = await post('{"jsonrpc":"2.0","id":1,"method":')
    expect(parse.status).toBe(400)
    expect(parse.body).toMatchObject({ error: { code: -32700 }, id: null })
    // JSON but no request: -32600.
    for (const body of ['42', '"getblockcount"', 'null', '[]', '{"jsonrpc":"2.0","id":1}'])
      expect((await post(body)).body, body).toMatchObject({ error: { code: -32600 } })
    // A batch with an invalid entry: the others are answered, in order.
    const batch = await post(
      JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'getblockcount' },
        5,
        { jsonrpc: '2.0', id: 3, method: 'nosuchmethod' },
        { jsonrpc: '2.0', id: 4, method: 'getblockhash', params: ['zero'] },
      ]),
    )
    expect(batch.status).toBe(200)
    expect(batch.body).toEqual([
      { jsonrpc: '2.0', result: 0, id: 1 },
      { jsonrpc: '2.0', error: expect.objectContaining({ code: -32600 }), id: null },
      { jsonrpc: '2.0', error: expect.objectContaining({ code: -32601 }), id: 3 },
      { jsonrpc: '2.0', error: expect.objectContaining({ code: -32602 }), id: 4 },
    ])
    // Declared over the 4 MiB limit: HTTP 413 before a byte of it is read (the in-process server
    // test covers a body that passes the limit while it streams).
    const big = await oversize()
    expect(big.status).toBe(413)
    expect(big.body).toMatchObject({
      error: { code: -32600, data: { code: 'RPC_BODY_TOO_LARGE' } },
    })
    // Wrong or missing credentials: HTTP 401, nothing run (a stop among them included).
    const stop = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'stop' })
    const wrong = await post(stop, {
      authorization: `Basic ${Buffer.from('__cookie__:0000').toString('base64')}`,
    })
    expect(wrong.status).toBe(401)
    expect((await post(stop, { authorization: null })).status).toBe(401)
    expect((await post(stop, { authorization: 'Bearer x' })).status).toBe(401)
    // An unknown method: -32601.
    expect((await post('{"jsonrpc":"2.0","id":7,"method":"dumpprivkey"}')).body).toMatchObject({
      error: { code: -32601 },
      id: 7,
    })
    // Parameters of the wrong type or form: -32602; a well-formed one that does not decode: -22.
    const bad = async (method: string, params: unknown) =>
      (await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }))).body
    expect(await bad('getblockhash', [-1])).toMatchObject({ error: { code: -32602 } })
    expect(await bad('getblock', ['xyz'])).toMatchObject({ error: { code: -32602 } })
    expect(await bad('sendrawtransaction', [42])).toMatchObject({ error: { code: -32602 } })
    expect(await bad('gettxout', { txid: pendingTxid, n: 0, extra: 1 })).toMatchObject({
      error: { code: -32602 },
    })
    expect(await bad('getblockcount', 'nope')).toMatchObject({ error: { code: -32600 } })
    expect(await bad('setban', ['127.0.0.2', 'ban'])).toMatchObject({ error: { code: -32602 } })
    expect(await bad('setban', ['not-an-address', 'add'])).toMatchObject({
      error: { code: -30 },
    })
    expect(await bad('sendrawtransaction', ['00'])).toMatchObject({ error: { code: -22 } })

    // Nothing changed, and it still serves a good request.
    expect(await state()).toEqual(before)
    expect(await call('getblockcount')).toBe(0)
    expect(node.child.exitCode).toBeNull()
  }, 120_000)
})

describe('where it listens', () => {
  it('binds JSON-RPC and metrics to 127.0.0.1 by default, as it reports and the kernel shows', async () => {
    expect(node.output()).toMatch(new RegExp(`JSON-RPC on 127\\.0\\.0\\.1:${rpcPort}\\b`))
    expect(node.output()).toMatch(
      new RegExp(`metrics at http://127\\.0\\.0\\.1:${metricsPort}/metrics`),
    )
    expect(node.output()).not.toMatch(/JSON-RPC on [0-9.:]*, /)
    expect(listeningAddresses(rpcPort)).toEqual(['127.0.0.1'])
    expect(listeningAddresses(metricsPort)).toEqual(['127.0.0.1'])
    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, {
      signal: AbortSignal.timeout(30_000),
    })
    expect(metrics.status).toBe(200)
  })
})

/** A full node's libp2p host (with the handshake) dialling out from `localAddress` (TCP). */
async function clientFrom(localAddress: string) {
  // net.connect's localAddress: @libp2p/tcp hands dialOpts to it as they are.
  const dialOpts: TCPSocketOptions & { localAddress: string } = { localAddress }
  const host = await createNodeHost({
    listenAddresses: [],
    gossipsub: false,
    transports: [tcp({ dialOpts })],
    services: {
      handshake: handshake({
        network: 'devnet',
        genesisHash,
        tip: () => ({ height: 0, hash: genesisHash }),
        role: PeerRole.FullNode,
      }),
    },
  })
  hosts.push(host)
  return host
}

/**
 * A raw TCP connection from `localAddress` to the P2P port that offers multistream-select: the
 * node answers with its own header, unless it refuses the connection (closed, nothing said).
 */
function greets(localAddress: string): Promise<'answered' | 'refused'> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: p2pPort, localAddress })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no answer and no close from the node within 15 s (${localAddress})`))
    }, 15_000)
    const header = '/multistream/1.0.0\n'
    socket.once('connect', () => socket.write(Buffer.from([header.length, ...Buffer.from(header)])))
    socket.once('data', () => {
      clearTimeout(timer)
      socket.destroy()
      resolve('answered')
    })
    socket.once('close', () => {
      clearTimeout(timer)
      resolve('refused')
    })
    socket.once('error', () => {})
  })
}

describe('setban on loopback', () => {
  it('closes the connection from 127.0.0.2 and refuses new ones from it until the ban is lifted', async () => {
    const client = await clientFrom('127.0.0.2')
    const target = multiaddr(`/ip4/127.0.0.1/tcp/${p2pPort}`)
    const connection = await client.dial(target, { signal: AbortSignal.timeout(15_000) })
    const peers = async () =>
      ((await call('getpeerinfo')) as { addr: string; role: string | null }[]).filter((p) =>
        p.addr.startsWith('/ip4/127.0.0.2/'),
      )
    // Handshaken: nothing but the ban closes it.
    await eventually(
      async () => ((await peers()).some((p) => p.role === 'full-node') ? true : undefined),
      'the node has handshaken the full node from 127.0.0.2',
      15_000,
      100,
    )
    expect(await greets('127.0.0.2')).toBe('answered')

    expect(await call('setban', ['127.0.0.2', 'add', 600])).toBeNull()
    await eventually(
      async () => (connection.status === 'closed' ? true : undefined),
      'the connection from 127.0.0.2 closed by the ban',
      15_000,
      50,
    )
    expect(await peers()).toEqual([])
    expect(await greets('127.0.0.2')).toBe('refused')
    expect(await greets('127.0.0.3')).toBe('answered')
    await expect(
      client.dial(target, { signal: AbortSignal.timeout(15_000), force: true }),
    ).rejects.toThrow()
    const listed = (await call('listbanned')) as { address: string; ban_duration: number }[]
    expect(listed).toEqual([
      expect.objectContaining({ address: '127.0.0.2/32', ban_duration: 600 }),
    ])
    // A subnet covers 127.0.0.3 as well.
    expect(await call('setban', ['127.0.0.0/30', 'add'])).toBeNull()
    expect(await greets('127.0.0.3')).toBe('refused')
    expect(await call('clearbanned')).toBeNull()
    expect(await call('listbanned')).toEqual([])
    expect(await greets('127.0.0.2')).toBe('answered')
    expect(await greets('127.0.0.3')).toBe('answered')
  }, 120_000)
})

describe('bans after a restart', () => {
  it('lists the ban methods in help, and keeps setban’s bans across a restart (banlist.json)', async () => {
    const help = (await call('help')) as string
    for (const usage of [
      'setban subnet command ( bantime ) ( absolute )',
      'listbanned',
      'clearbanned',
    ])
      expect(help).toContain(usage)
    // Documentation addresses: banned, never dialled.
    expect(await call('setban', ['192.0.2.0/24', 'add', 3600])).toBeNull()
    expect(await call('setban', ['2001:db8::/32', 'add', 4_000_000_000, true])).toBeNull()
    const before = await call('listbanned')
    expect(await call('stop')).toBe('TIME Coin node stopping')
    expect(
      await Promise.race([
        node.exited,
        new Promise((r) => setTimeout(() => r('still running after 30 s'), 30_000)),
      ]),
    ).toBe(0)
    await startNode()
    const after = (await call('listbanned')) as { address: string; banned_until: number }[]
    expect(after.map((b) => [b.address, b.banned_until])).toEqual(
      (before as { address: string; banned_until: number }[]).map((b) => [
        b.address,
        b.banned_until,
      ]),
    )
    expect(after.map((b) => b.address)).toEqual(['192.0.2.0/24', '2001:db8::/32'])
  }, 120_000)
})

describe('wss', () => {
  it('refuses to start with a key that is not the certificate’s, naming the setting (exit 2)', async () => {
    const other = selfSignedCert(join(dir, '..'), 'other')
    const refused = runCli(['masternode', '--datadir', dir, '--tlskey', other.keyFile])
    expect(await refused.exited).toBe(2)
    expect(refused.output()).toMatch(/CONFIG_INVALID_SETTING.*tlskey: .* is not the private key of/)
    // The running node is untouched.
    expect(await call('getblockcount')).toBe(0)
  }, 60_000)

  it('serves /tls/ws: a libp2p client that trusts the certificate dials it and pings', async () => {
    const info = (await call('getnetworkinfo')) as { localaddresses: string[]; peerid: string }
    expect(info.localaddresses).toContain(wssAddress)
    expect(info.localaddresses.some((a) => /\/tcp\/\d+\/ws\//.test(a))).toBe(false)
    const out = await new Promise<{ code: number; line: string }>((resolve) => {
      execFile(
        process.execPath,
        [DIAL, wssAddress],
        { env: { ...process.env, NODE_EXTRA_CA_CERTS: certFile }, timeout: 30_000 },
        (error, stdout) =>
          resolve({
            code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
            line: stdout.trim(),
          }),
      )
    })
    expect(JSON.parse(out.line)).toMatchObject({ remoteAddr: wssAddress, peer: info.peerid })
    expect(out.code).toBe(0)
  }, 60_000)
})
