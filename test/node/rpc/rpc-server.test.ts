// The JSON-RPC server against a real engine: four masternodes of the devnet of a seed in one
// process (engine-driver's cluster, each on a MemoryStore), masternode 0 served over HTTP on a
// free loopback port. Auth (cookie, Basic, wrong → 401), JSON-RPC 2.0 and 1.0 forms, batches,
// notifications, body limits, malformed requests, unknown methods, params checking, typed error
// mapping — none of which changes the node — then a payment sent, waited for, finalized and
// confirmed, seen through every chain method; and `timecoin rpc` against the same server.
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { BlockList } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type Amount,
  addressFromPublicKey,
  addressPayloadFromPublicKey,
  bytesToHex,
  COIN,
  encodeTransaction,
  generateKeyPair,
  MIN_FEE,
  RpcErrorCode,
  signTransaction,
  type Transaction,
  txidToHex,
} from '../../../src/core/index.ts'
import { datadirLayout } from '../../../src/node/datadir/index.ts'
import { devnetGenesis } from '../../../src/node/genesis/index.ts'
import {
  basicAuthorization,
  type Credentials,
  clientAllowed,
  EngineRpcNode,
  nodeRegistry,
  RpcDispatcher,
  type RpcServer,
  startRpcServer,
} from '../../../src/node/rpc/index.ts'
import { Cluster, type ClusterNode } from '../../support/engine-driver.ts'
import { TEST_CHAIN } from '../../support/engine-fixture.ts'

const run = promisify(execFile)
const main = join(import.meta.dirname, '../../../src/node/cli/main.ts')
const g = devnetGenesis({ seed: 'rpc server test' })
const faucet = g.faucetKey!
const carol = generateKeyPair()
const genesisCoin = { txid: g.engine.genesis.txid, vout: 0 }
const faucetValue = g.spec.allocations[0]!.value

/** The faucet's genesis coin paid to carol (`value` TIME), change back to the faucet. */
function payment(value: bigint): Transaction {
  const change = faucetValue - value * COIN - MIN_FEE
  return signTransaction(
    {
      version: 1,
      inputs: [{ outpoint: genesisCoin, publicKey: faucet.publicKey }],
      outputs: [
        { value: (value * COIN) as Amount, address: addressPayloadFromPublicKey(carol.publicKey) },
        { value: change as Amount, address: addressPayloadFromPublicKey(faucet.publicKey) },
      ],
      lockTime: 0,
      payload: { type: 'none' },
    },
    [faucet.secretKey],
    g.hash,
  )
}

let dir: string
let cluster: Cluster
let node: ClusterNode
let rpcNode: EngineRpcNode
let server: RpcServer
let cookie: Credentials
let stops = 0
const servers: RpcServer[] = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'timecoin-rpc-'))
  await mkdir(join(dir, 'devnet'))
  cluster = await Cluster.create({
    genesisHash: g.hash,
    committee: g.engine.committee,
    keys: g.masternodeKeys,
    genesis: g.engine.genesis,
    chain: { intervalMs: g.spec.blockIntervalMs, timeouts: TEST_CHAIN.timeouts },
    onNotify: (n, notification) => {
      if (n === node) rpcNode.notify(notification)
    },
  })
  node = cluster.node(g.masternodeKeys[0]!)
  rpcNode = new EngineRpcNode({
    network: 'devnet',
    engine: node.engine,
    genesisTxid: g.engine.genesis.txid,
    store: node.store,
    submit: async (tx) => {
      await node.runtime.submit(tx)
      await node.runtime.idle()
    },
    stop: () => {
      stops++
    },
  })
  server = await startRpcServer({
    dispatcher: new RpcDispatcher(nodeRegistry(rpcNode)),
    port: 0,
    cookieFile: datadirLayout(dir, 'devnet').cookie,
    authFailureDelayMs: 0,
  })
  cookie = server.credentials
  servers.push(server)
})

afterAll(async () => {
  for (const s of servers) await s.close()
  await rm(dir, { recursive: true, force: true })
})

interface Answer {
  readonly status: number
  readonly body: unknown
  readonly headers: Headers
}

async function post(
  body: string | ReadableStream<Uint8Array>,
  options: { auth?: Credentials | null; url?: string } = {},
): Promise<Answer> {
  const auth = options.auth === undefined ? cookie : options.auth
  const res = await fetch(options.url ?? server.url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(auth === null ? {} : { Authorization: basicAuthorization(auth) }),
    },
    body,
    signal: AbortSignal.timeout(15_000),
    ...(typeof body === 'string' ? {} : { duplex: 'half' }),
  } as RequestInit)
  const text = await res.text()
  return {
    status: res.status,
    body: text === '' ? undefined : JSON.parse(text),
    headers: res.headers,
  }
}

/** One 2.0 call's result, or its error object. */
async function call(
  method: string,
  params: unknown = [],
): Promise<{
  result?: unknown
  error?: { code: number; message: string; data?: { code: string } }
}> {
  const a = await post(JSON.stringify({ jsonrpc: '2.0', id: 7, method, params }))
  expect(a.status).toBe(200)
  return a.body as never
}

async function result(method: string, params: unknown = []): Promise<unknown> {
  const a = await call(method, params)
  expect(a.error, `${method} ${JSON.stringify(a.error)}`).toBeUndefined()
  return a.result
}

/** What must not change when a request is refused. */
function snapshot() {
  const e = node.engine
  return {
    tip: bytesToHex(e.tip!.hash),
    mempool: e.ledger.mempool.count,
    utxos: bytesToHex(e.ledger.summary().commitment),
    queue: cluster.queue.length,
  }
}

describe('RPC server', () => {
  it('listens on 127.0.0.1 only by default and writes the cookie 0600', async () => {
    expect(server.addresses).toEqual([
      { address: '127.0.0.1', family: 'IPv4', port: expect.any(Number) },
    ])
    expect(server.url).toBe(`http://127.0.0.1:${server.addresses[0]!.port}/`)
    const path = datadirLayout(dir, 'devnet').cookie
    expect(server.cookieFile).toBe(path)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect(await readFile(path, 'utf8')).toMatch(/^__cookie__:[0-9a-f]{64}$/)
    expect(cookie.user).toBe('__cookie__')
  })

  it('refuses missing and wrong credentials with 401, changing nothing', async () => {
    const before = snapshot()
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'stop' })
    const none = await post(body, { auth: null })
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toBe('Basic realm="jsonrpc"')
    expect((await post(body, { auth: { user: '__cookie__', password: 'guess' } })).status).toBe(401)
    expect((await post(body, { auth: { user: 'root', password: cookie.password } })).status).toBe(
      401,
    )
    expect(stops).toBe(0)
    expect(snapshot()).toEqual(before)
    const wrongMethod = await fetch(server.url, {
      headers: { Authorization: basicAuthorization(cookie) },
    })
    expect(wrongMethod.status).toBe(405)
  })

  it('takes Basic auth from rpcuser/rpcpassword, writing no cookie', async () => {
    const credentials = { user: 'alice', password: 'correct horse' }
    const basic = await startRpcServer({
      dispatcher: new RpcDispatcher(nodeRegistry(rpcNode)),
      port: 0,
      credentials,
      authFailureDelayMs: 0,
    })
    servers.push(basic)
    expect(basic.cookieFile).toBeUndefined()
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'getblockcount' })
    expect((await post(body, { auth: credentials, url: basic.url })).body).toEqual({
      jsonrpc: '2.0',
      result: 0,
      id: 1,
    })
    expect((await post(body, { auth: cookie, url: basic.url })).status).toBe(401)
    await basic.close()
  })

  it('draws a fresh cookie at each start and removes it when it closes', async () => {
    const path = join(dir, 'other.cookie')
    const start = () =>
      startRpcServer({
        dispatcher: new RpcDispatcher(nodeRegistry(rpcNode)),
        port: 0,
        cookieFile: path,
      })
    const first = await start()
    servers.push(first)
    const text = await readFile(path, 'utf8')
    await first.close()
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' })
    const second = await start()
    servers.push(second)
    expect(await readFile(path, 'utf8')).not.toBe(text)
    await second.close()
    await second.close()
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('answers JSON-RPC 2.0, the 1.0 form, named params and notifications', async () => {
    expect((await post('{"jsonrpc":"2.0","id":"a","method":"getblockcount"}')).body).toEqual({
      jsonrpc: '2.0',
      result: 0,
      id: 'a',
    })
    expect((await post('{"id":3,"method":"getbestblockhash","params":[]}')).body).toEqual({
      result: bytesToHex(g.hash),
      error: null,
      id: 3,
    })
    expect(await result('getblockhash', { height: 0 })).toBe(bytesToHex(g.hash))
    const notification = await post('{"jsonrpc":"2.0","method":"getblockcount"}')
    expect(notification.status).toBe(204)
    expect(notification.body).toBeUndefined()
  })

  it('maps malformed requests, unknown methods and bad params to bitcoind codes, changing nothing', async () => {
    const before = snapshot()
    const parse = await post('{"jsonrpc":"2.0","id":1,"method":')
    expect(parse.status).toBe(400)
    expect(parse.body).toMatchObject({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, data: { code: 'RPC_PARSE_ERROR' } },
    })
    const cases: [string, number, string][] = [
      ['{"jsonrpc":"2.0","id":1,"method":5}', -32600, 'method must be a string'],
      [
        '{"jsonrpc":"2.0","id":1,"method":"getblockcount","params":"x"}',
        -32600,
        'params must be an array or an object',
      ],
      [
        '{"jsonrpc":"2.0","id":{},"method":"getblockcount"}',
        -32600,
        'id must be a string, a number or null',
      ],
      ['{"jsonrpc":"3.0","id":1,"method":"getblockcount"}', -32600, 'jsonrpc must be "2.0"'],
      ['"getblockcount"', -32600, 'not an object'],
      [
        '{"jsonrpc":"2.0","id":1,"method":"sendtoaddress","params":[]}',
        -32601,
        'method not found: sendtoaddress',
      ],
      [
        '{"jsonrpc":"2.0","id":1,"method":"getblockhash","params":["abc"]}',
        -32602,
        'getblockhash: parameter height: expected an integer',
      ],
      [
        '{"jsonrpc":"2.0","id":1,"method":"getblockhash","params":[]}',
        -32602,
        'getblockhash: missing parameter height',
      ],
      [
        '{"jsonrpc":"2.0","id":1,"method":"getblockcount","params":[1]}',
        -32602,
        'getblockcount: takes at most 0 parameters, got 1',
      ],
      [
        '{"jsonrpc":"2.0","id":1,"method":"getblock","params":{"hash":"00"}}',
        -32602,
        'getblock: unknown parameter "hash"',
      ],
      [
        '{"jsonrpc":"2.0","id":1,"method":"getblock","params":["zz"]}',
        -32602,
        'getblock: parameter blockhash: expected a 32-byte hash',
      ],
      [
        '{"jsonrpc":"2.0","id":1,"method":"sendrawtransaction","params":["abc"]}',
        -32602,
        'expected an even-length hex string',
      ],
    ]
    for (const [body, code, message] of cases) {
      const a = await post(body)
      expect(a.status, body).toBe(200)
      const error = (a.body as { error: { code: number; message: string } }).error
      expect(error.code, body).toBe(code)
      expect(error.message, body).toContain(message)
    }
    expect(snapshot()).toEqual(before)
  })

  it('answers batches in order, leaving out notifications; refuses empty and oversize batches', async () => {
    const batch = await post(
      JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'getblockcount' },
        { jsonrpc: '2.0', id: 2, method: 'nosuchmethod' },
        { jsonrpc: '2.0', method: 'getblockcount' },
        { jsonrpc: '2.0', id: 3, method: 'getbestblockhash' },
        7,
      ]),
    )
    expect(batch.body).toEqual([
      { jsonrpc: '2.0', result: 0, id: 1 },
      {
        jsonrpc: '2.0',
        error: {
          code: -32601,
          message: 'method not found: nosuchmethod',
          data: { code: 'RPC_METHOD_NOT_FOUND' },
        },
        id: 2,
      },
      { jsonrpc: '2.0', result: bytesToHex(g.hash), id: 3 },
      {
        jsonrpc: '2.0',
        error: {
          code: -32600,
          message: 'invalid request: not an object',
          data: { code: 'RPC_INVALID_REQUEST' },
        },
        id: null,
      },
    ])
    expect((await post('[]')).body).toMatchObject({
      error: { code: -32600, message: 'invalid request: an empty batch' },
    })
    const small = new RpcDispatcher(nodeRegistry(rpcNode), { maxBatch: 2 })
    const over = await small.handle(JSON.stringify([1, 2, 3]), {
      signal: new AbortController().signal,
      afterResponse: () => {},
    })
    expect(JSON.parse(over.json!)).toMatchObject({
      error: { code: -32600, message: 'invalid request: a batch of more than 2 requests' },
    })
  })

  it('refuses an oversize body with 413 while reading it, and keeps serving', async () => {
    const limited = await startRpcServer({
      dispatcher: new RpcDispatcher(nodeRegistry(rpcNode)),
      port: 0,
      credentials: cookie,
      maxBodyBytes: 1_024,
      authFailureDelayMs: 0,
    })
    servers.push(limited)
    const before = snapshot()
    const big = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'sendrawtransaction',
      params: ['00'.repeat(2_000)],
    })
    const declared = await post(big, { url: limited.url })
    expect(declared.status).toBe(413)
    expect(declared.body).toEqual({
      jsonrpc: '2.0',
      error: {
        code: RpcErrorCode.INVALID_REQUEST,
        message: 'request body larger than 1024 bytes',
        data: { code: 'RPC_BODY_TOO_LARGE' },
      },
      id: null,
    })
    // No Content-Length: the limit is checked as the chunks arrive, and the rest (up to 64 MiB
    // offered) is never read.
    let sent = 0
    const chunk = new Uint8Array(64 * 1024).fill(32)
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 1_024) return controller.close()
        sent++
        controller.enqueue(chunk)
      },
    })
    const streamed = await post(stream, { url: limited.url })
    expect(streamed.status).toBe(413)
    expect(sent).toBeLessThan(1_024)
    expect(
      (await post('{"jsonrpc":"2.0","id":1,"method":"getblockcount"}', { url: limited.url })).body,
    ).toMatchObject({ result: 0 })
    expect(snapshot()).toEqual(before)
    await limited.close()
  })

  it('maps the project’s typed errors to their RPC codes', async () => {
    const truncated = await call('sendrawtransaction', ['0100'])
    expect(truncated.error).toMatchObject({
      code: RpcErrorCode.DESERIALIZATION_ERROR,
      data: { code: 'TRUNCATED' },
    })
    const missing = await call('getblock', ['ab'.repeat(32)])
    expect(missing.error).toMatchObject({
      code: RpcErrorCode.INVALID_ADDRESS_OR_KEY,
      data: { code: 'RPC_NOT_FOUND' },
    })
    expect((await call('getblockhash', [5])).error).toMatchObject({
      code: -5,
      message: 'block height 5 out of range (tip 0)',
    })
    expect((await call('getutxostate', ['cd'.repeat(32), 0])).error).toMatchObject({ code: -5 })
    const tx = payment(1n)
    const forged = { ...tx, inputs: [{ ...tx.inputs[0]!, signature: new Uint8Array(64).fill(7) }] }
    const bad = await call('sendrawtransaction', [bytesToHex(encodeTransaction(forged))])
    expect(bad.error?.code).toBe(RpcErrorCode.VERIFY_REJECTED)
    expect(node.engine.ledger.mempool.count).toBe(0)
    expect(await result('gettxout', [txidToHex(genesisCoin.txid), 0])).toMatchObject({
      value: '1000000',
      state: 'Unspent',
    })
  })

  it('sends a payment, waits for its finality, and shows it final then confirmed', async () => {
    const tx = payment(10n)
    const hex = bytesToHex(encodeTransaction(tx))
    const decoded = (await result('decoderawtransaction', [hex])) as {
      txid: string
      vout: unknown[]
    }
    expect(decoded.vout).toEqual([
      { n: 0, value: '10', address: addressFromPublicKey(carol.publicKey, 'devnet') },
      { n: 1, value: '999989.99', address: addressFromPublicKey(faucet.publicKey, 'devnet') },
    ])
    const txid = await result('sendrawtransaction', [hex])
    expect(txid).toBe(decoded.txid)
    expect(await result('getrawmempool')).toEqual([txid])
    expect(await result('getrawtransaction', [txid])).toBe(hex)
    expect(await result('gettransactionfinality', [txid])).toMatchObject({
      status: 'pending',
      final: false,
      decision: 'accept',
      threshold: 27,
      totalweight: 40,
    })
    // A conflicting spend of the locked coin is refused before the engine sees it.
    const conflict = await call('sendrawtransaction', [bytesToHex(encodeTransaction(payment(11n)))])
    expect(conflict.error).toMatchObject({
      code: RpcErrorCode.VERIFY_REJECTED,
      data: { code: 'LEDGER_CONFLICT' },
    })
    // An unknown transaction's wait ends at its timeout.
    const t0 = performance.now()
    expect(await result('waittransactionfinality', ['ee'.repeat(32), 50])).toMatchObject({
      status: 'unknown',
      final: false,
    })
    expect(performance.now() - t0).toBeLessThan(5_000)

    const waiting = call('waittransactionfinality', [txid, 10_000])
    await new Promise((r) => setTimeout(r, 50))
    await cluster.run()
    const final = (await waiting).result as Record<string, unknown>
    expect(final).toMatchObject({ txid, status: 'final', final: true, epoch: 0 })
    expect(final.certificate).toMatch(/^[0-9a-f]+$/)
    expect(await result('getutxostate', [txidToHex(genesisCoin.txid), 0])).toMatchObject({
      state: 'SpentFinalized',
      spender: txid,
    })
    expect(await result('getmempoolinfo')).toMatchObject({
      size: 1,
      pending: 0,
      finalized: 1,
      maxcount: 50_000,
      minfee: '0.01',
    })

    await cluster.fireTimers((t) => t === 'chain:start')
    await cluster.run()
    expect(await result('getblockcount')).toBe(1)
    const hash = (await result('getblockhash', [1])) as string
    expect(await result('getbestblockhash')).toBe(hash)
    const block = (await result('getblock', [hash, 2])) as {
      height: number
      tx: { txid: string }[]
      certificate: string
      confirmations: number
    }
    expect(block).toMatchObject({ hash, height: 1, confirmations: 1, prevhash: bytesToHex(g.hash) })
    expect(block.tx.map((t) => t.txid)).toEqual([txid])
    expect((await result('getblock', [hash])) as { tx: string[] }).toMatchObject({ tx: [txid] })
    expect(await result('getblock', [hash, 0])).toMatch(/^[0-9a-f]+$/)
    expect(await result('getblock', [bytesToHex(g.hash)])).toMatchObject({
      height: 0,
      genesis: true,
      tx: [txidToHex(genesisCoin.txid)],
    })
    expect(await result('getrawtransaction', [txid, true])).toMatchObject({
      txid,
      status: 'confirmed',
      blockhash: hash,
      blockheight: 1,
      confirmations: 1,
    })
    expect(await result('getrawtransaction', [txid, false, hash])).toBe(hex)
    expect(await result('gettransactionfinality', [txid])).toMatchObject({
      status: 'confirmed',
      final: true,
      blockheight: 1,
      blockhash: hash,
    })
    expect(await result('waittransactionfinality', [txid])).toMatchObject({ status: 'confirmed' })
    expect(await result('getrawmempool', [true])).toEqual({})
    expect(await result('gettxout', [txid, 0])).toMatchObject({
      bestblock: hash,
      value: '10',
      state: 'Unspent',
      height: 1,
      confirmations: 1,
    })
    expect(await result('gettxout', [txidToHex(genesisCoin.txid), 0])).toBeNull()
    const info = (await result('getblockchaininfo')) as Record<string, unknown>
    expect(info).toMatchObject({
      chain: 'devnet',
      blocks: 1,
      bestblockhash: hash,
      genesishash: bytesToHex(g.hash),
      epoch: 0,
    })
    expect(info.committee).toEqual({ members: 4, voters: 4, totalweight: 40, threshold: 27 })
    const set = (await result('gettxoutsetinfo')) as Record<string, unknown>
    expect(set).toMatchObject({
      height: 1,
      bestblock: hash,
      commitment: bytesToHex(node.engine.ledger.summary().commitment),
    })
  })

  it('serves help, uptime and stop (answered before the node is told to stop)', async () => {
    const help = (await result('help')) as string
    expect(help).toContain('== Blockchain ==')
    expect(help).toContain('getblock blockhash ( verbosity )')
    expect(await result('help', ['waittransactionfinality'])).toContain(
      '2. timeout (integer 0…60000, optional, default 30000) milliseconds',
    )
    expect((await call('help', ['nosuch'])).error).toMatchObject({ code: -32602 })
    expect(await result('uptime')).toEqual(expect.any(Number))
    expect(await result('stop')).toBe('TIME Coin node stopping')
    await new Promise((r) => setTimeout(r, 20))
    expect(stops).toBe(1)
  })

  it('allows loopback and rpcallowip subnets only (judged by address, no traffic sent)', () => {
    const allow = new BlockList()
    allow.addSubnet('10.0.0.0', 8, 'ipv4')
    allow.addSubnet('fd00::', 8, 'ipv6')
    expect(clientAllowed('127.0.0.1', allow)).toBe(true)
    expect(clientAllowed('127.9.9.9', allow)).toBe(true)
    expect(clientAllowed('::1', allow)).toBe(true)
    expect(clientAllowed('::ffff:127.0.0.1', allow)).toBe(true)
    expect(clientAllowed('10.2.3.4', allow)).toBe(true)
    expect(clientAllowed('::ffff:10.2.3.4', allow)).toBe(true)
    expect(clientAllowed('fd12::5', allow)).toBe(true)
    expect(clientAllowed('11.0.0.1', allow)).toBe(false)
    expect(clientAllowed('fe80::1', allow)).toBe(false)
    expect(clientAllowed(undefined, allow)).toBe(false)
    expect(clientAllowed('10.2.3.4', new BlockList())).toBe(false)
  })

  it('timecoin rpc calls the node with its cookie and reports errors', async () => {
    const port = String(server.addresses[0]!.port)
    const base = [main, 'rpc', '--datadir', dir, '--network', 'devnet', '--rpcport', port]
    const count = await run(process.execPath, [...base, 'getblockcount'], { timeout: 20_000 })
    expect(count.stdout).toBe('1\n')
    const info = await run(process.execPath, [...base, 'getblockhash', '0'], { timeout: 20_000 })
    expect(info.stdout).toBe(`${bytesToHex(g.hash)}\n`)
    const failed = await run(process.execPath, [...base, 'getblock', 'ab'.repeat(32)], {
      timeout: 20_000,
    }).catch((e: { code: number; stderr: string }) => e)
    expect(failed).toMatchObject({
      code: 1,
      stderr: `error code: -5\nerror message:\nblock not found: ${'ab'.repeat(32)}\n`,
    })
    const refused = await run(
      process.execPath,
      [...base, '--rpcuser', 'x', '--rpcpassword', 'y', 'getblockcount'],
      {
        timeout: 20_000,
      },
    ).catch((e: { code: number; stderr: string }) => e)
    expect(refused).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^error \[RPC_UNAUTHORIZED\]/),
    })
  })
})
