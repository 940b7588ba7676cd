// `npm run bench:network` (issue 10, point 11): the network figures, read against DESIGN §9, as
// one JSON object written to bench/results/network.json. Each figure sits next to the raw libp2p
// yardstick measured in the same run (bench/net-raw.ts), as the targets are stated against them.
//  1. one connection: engine messages (signed vote batches and signed payments, encoded with the
//     protocol's codec) sent through a committee link over loopback TCP (Noise, Yamux), cut into
//     frames, decoded and dispatched by type on the far side, per second — next to the raw
//     throughput of one stream and the link's bytes per second (target ≥ 100,000 msgs/s);
//  2. finality: four masternodes (engines on their own stores, handshake, committee links, engine
//     service, the verifier worker pool) over loopback TCP, one payment at a time, submit → final
//     at all four, p50 / p99 — next to the persistent-stream echo RTT (targets p50 ≤ 10 ms,
//     p99 ≤ 50 ms, p50 ≤ 20 × echo RTT);
//  3. wallet fan-out: 1,000 light-client WebSocket connections (a child process) subscribe to one
//     address at one masternode; payments from it notify every one: finality at that masternode →
//     receipt, p50 / p99 (target p99 ≤ 100 ms), and the RSS the subscribers add to this process —
//     the wallet tests' measure (test/support/wallet-fanout.ts, its swarm wallet-swarm.ts).
// Everything runs in this process but the swarm (both ends of sections 1 and 2 share its thread,
// as in net-raw); about 1–2 minutes. Every host, store, worker and the child are stopped at the end.
import { loadavg } from 'node:os'
import type { PeerId } from '@libp2p/interface'
import {
  bytesToHex,
  COIN,
  type KeyPair,
  keySigner,
  type Message,
  MIN_FEE,
  PROTOCOLS,
  sha256,
  signVoteBatch,
  type Txid,
  utf8ToBytes,
} from '../src/core/index.ts'
import {
  type CommitteeLinks,
  committeeLinks,
  type HandshakeService,
  handshake,
  MemoryPeerBook,
} from '../src/core/net/index.ts'
import { PeerRole } from '../src/core/protocol/handshake.ts'
import { createVerifierPool, type VerifierPool } from '../src/node/crypto/verifier-pool.ts'
import { createNodeHost, type NodeHost } from '../src/node/net/host.ts'
import { engineFixture } from '../test/support/engine-fixture.ts'
import {
  type Built,
  type Coin,
  coinsOf,
  GENESIS_HASH,
  keyPair,
  spend,
} from '../test/support/ledger-fixture.ts'
import {
  type ClusterSetup,
  startCommittee,
  stopCluster,
  type Transport,
  until,
} from '../test/support/net-engines.ts'
import { measureFanout, stopFanout } from '../test/support/wallet-fanout.ts'
import { report } from './measure.ts'
import { addressFor, echoRtt, rawPair, streamThroughput } from './net-raw.ts'

const started = performance.now()
const round = (x: number, digits = 0) => Number(x.toFixed(digits))
const load = () => loadavg().map((x) => round(x, 2))
const loadAtStart = load()
const log = (line: string) =>
  process.stderr.write(`[${round((performance.now() - started) / 1000, 1)} s] ${line}\n`)
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))
const turn = () => new Promise((r) => setImmediate(r))

/** CPU seconds (user + system) this process used since `since`. */
function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since)
  return (used.user + used.system) / 1e6
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
}

// Every resource is released in `cleanup`, whatever fails.
const stoppers: (() => unknown)[] = []
async function cleanup(): Promise<void> {
  await stopFanout()
  for (const stop of stoppers.splice(0).reverse()) await stop()
  await stopCluster()
}

// ── 0. the yardsticks: raw stream throughput and persistent-stream echo RTT, loopback TCP ──────

async function yardsticks() {
  const { client, server } = await rawPair()
  try {
    const connection = await client.dial(addressFor(server, 'tcp'))
    const echo = await echoRtt(connection)
    const throughput = await streamThroughput(connection)
    return { persistentStreamEcho: echo, streamThroughput: throughput }
  } finally {
    await Promise.all([client.stop(), server.stop()])
  }
}

// ── 1. engine messages decoded and dispatched on one connection ────────────────────────────────

type LinkHost = NodeHost<{ handshake: HandshakeService; committeeLinks: CommitteeLinks }>

async function linkHost(key: KeyPair, book: MemoryPeerBook): Promise<LinkHost> {
  const host: LinkHost = await createNodeHost({
    listenAddresses: ['/ip4/127.0.0.1/tcp/0'],
    gossipsub: false,
    services: {
      handshake: handshake({
        network: 'devnet',
        genesisHash: GENESIS_HASH,
        role: PeerRole.Masternode,
        masternodeSigner: keySigner(key.secretKey),
        tip: () => ({ height: 0, hash: GENESIS_HASH }),
      }),
      committeeLinks: committeeLinks({
        network: 'devnet',
        masternodeKey: key.publicKey,
        peerBook: book,
      }),
    },
  })
  stoppers.push(() => host.stop())
  book.set(key.publicKey, host.getMultiaddrs())
  return host
}

/**
 * What the engine sends most on a link: vote batches (1–4 txAccept leaves, signed) and payments
 * (1 input, 2 outputs, signed), half each, encoded as the engine service encodes them.
 */
function engineFrames(count: number): { frames: Uint8Array[]; bytes: number } {
  const voter = keyPair(70)
  const signer = keySigner(voter.secretKey)
  const owners = Array.from({ length: 8 }, (_, i) => keyPair(80 + i))
  const frames: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    const txid = (k: number) => sha256(utf8ToBytes(`bench message ${i} ${k}`)) as Txid
    const message: Message =
      i % 2 === 0
        ? {
            type: 'InstantFinalityVote',
            batch: signVoteBatch(
              Array.from({ length: 1 + (i % 4) }, (_, k) => ({
                kind: 'txAccept' as const,
                txid: txid(k),
              })),
              { epoch: 0, seq: i + 1, timestamp: 1_700_000_000_000 + i },
              signer,
              GENESIS_HASH,
            ),
          }
        : {
            type: 'TransactionBroadcast',
            tx: spend(
              [{ outpoint: { txid: txid(0), vout: 1 }, value: 10n * COIN, owner: owners[i % 8]! }],
              [
                { to: owners[(i + 1) % 8]!, value: 3n * COIN },
                { to: owners[i % 8]!, value: 7n * COIN - MIN_FEE },
              ],
            ).tx,
          }
    frames.push(PROTOCOLS.consensus.dialer.encode(message))
  }
  return { frames, bytes: frames.reduce((n, f) => n + f.length, 0) }
}

/** The dispatch: by type, to a handler that reads what the engine would read first. */
function dispatcher() {
  const counts = { votes: 0, leaves: 0, transactions: 0, other: 0, total: 0 }
  const dispatch = (message: Message): void => {
    counts.total++
    switch (message.type) {
      case 'InstantFinalityVote':
        counts.votes++
        counts.leaves += message.batch.leaves.length
        break
      case 'TransactionBroadcast':
        counts.transactions++
        break
      default:
        counts.other++
    }
  }
  return { counts, dispatch }
}

async function messagesPerSecond(total: number) {
  const { frames, bytes } = engineFrames(512)
  const decode = PROTOCOLS.consensus.dialer.decode

  // The same decode + dispatch with no network, for where the time goes.
  const local = dispatcher()
  const localStart = performance.now()
  const localCpu = process.cpuUsage()
  for (let i = 0; i < 200_000; i++) local.dispatch(decode(frames[i % frames.length]!))
  const decodeOnly = round(200_000 / ((performance.now() - localStart) / 1000))
  const decodeOnlyCpu = round(200_000 / cpuSeconds(localCpu))

  const book = new MemoryPeerBook()
  const keys = [keyPair(60), keyPair(61)]
  const [a, b] = [await linkHost(keys[0]!, book), await linkHost(keys[1]!, book)]
  for (const h of [a, b]) h.services.committeeLinks.setCommittee(keys.map((k) => k.publicKey))
  await until(
    () => [a, b].every((h) => h.services.committeeLinks.stats().connected === 1),
    'the committee link up',
  )
  const remote = dispatcher()
  let errors = 0
  const receiver = (_from: string, frame: Uint8Array, _peer: PeerId): void => {
    let message: Message
    try {
      message = decode(frame)
    } catch {
      errors++
      return
    }
    remote.dispatch(message)
  }
  b.services.committeeLinks.receive({ frame: receiver, misbehaved: () => errors++ })
  a.services.committeeLinks.receive({ frame: () => {}, misbehaved: () => errors++ })

  const links = a.services.committeeLinks
  const to = bytesToHex(keys[1]!.publicKey)
  const queued = () => [...links.members()].reduce((n, m) => n + m.queuedBytes, 0)
  const warmup = 20_000
  const send = async (n: number) => {
    for (let sent = 0; sent < n; ) {
      // One turn of frames leaves in one write; the queue is kept well under its 16 MiB bound.
      for (let k = 0; k < 1_024 && sent < n; k++, sent++)
        links.send(to, frames[sent % frames.length]!)
      await turn()
      while (queued() > 2 * 1024 * 1024) await turn()
    }
  }
  await send(warmup)
  await until(() => remote.counts.total >= warmup, 'warm-up frames in', 30_000)
  const before = remote.counts.total
  const start = performance.now()
  const cpu = process.cpuUsage()
  await send(total)
  await until(() => remote.counts.total >= before + total, 'every frame in', 60_000)
  const seconds = (performance.now() - start) / 1000
  const cpuUsed = cpuSeconds(cpu)
  const stats = links.stats()
  return {
    messages: total,
    mix: `vote batches (1–4 leaves) and 1-in/2-out payments, half each; ${round(bytes / frames.length)} B per message on average`,
    dispatch:
      'each frame decoded with the consensus codec (as the engine service does) and handed to a handler by type; signatures are not checked here (the engine verifies them off the link, bounded by the verify rate)',
    decodedAndDispatchedPerSec: round(total / seconds),
    linkMegabytesPerSecond: round(((total * bytes) / frames.length / 1e6 / seconds) * 1, 1),
    decodedAndDispatchedPerCpuSecond: round(total / cpuUsed),
    cpuNote:
      'per CPU-second of this process, sender and receiver together (both ends share its thread): steadier than wall time on a loaded machine',
    decodeAndDispatchAlonePerSec: decodeOnly,
    decodeAndDispatchAlonePerCpuSecond: decodeOnlyCpu,
    received: remote.counts,
    decodeErrors: errors,
    dropped: stats.dropped,
    writesPerFrame: round(stats.writes / stats.framesOut, 4),
  }
}

// ── 2. finality, four masternodes over loopback TCP, light load ────────────────────────────────

const owners = Array.from({ length: 8 }, (_, i) => keyPair(300 + i))

function setup(
  transport: Transport,
  label: string,
  ownersOf: readonly KeyPair[],
  pool: VerifierPool,
) {
  const fx = engineFixture(label, 80, ownersOf)
  const s: ClusterSetup = {
    transport,
    committee: fx.committee,
    genesis: fx.genesis,
    verifier: pool,
    book: new MemoryPeerBook(),
  }
  return { fx, setup: s }
}

/** Waits for `done()`, checking every millisecond (the latency is read from the nodes' stamps). */
async function soon(done: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`)
    await pause(1)
  }
}

async function finality(pool: VerifierPool, payments: number) {
  const { fx, setup: s } = setup('tcp', 'bench network finality', owners, pool)
  const nodes = await startCommittee(s, fx.masternodes)
  const chains: Coin[] = owners.map((_, i) => fx.coin(i))
  const latencies: number[] = []
  const run = async (n: number, record: boolean) => {
    for (let i = 0; i < n; i++) {
      const c = i % chains.length
      const coin = chains[c]!
      const to = owners[(c + 1) % owners.length]!
      const b: Built = spend(
        [coin],
        [
          { to, value: COIN / 1000n },
          { to: coin.owner, value: coin.value - COIN / 1000n - MIN_FEE },
        ],
      )
      const id = bytesToHex(b.txid)
      const at = nodes[i % nodes.length]!
      const start = performance.now()
      await at.engine.submit(b.tx)
      await soon(() => nodes.every((n) => n.finalized.has(id)), `payment ${id.slice(0, 8)} final`)
      if (record) latencies.push(Math.max(...nodes.map((n) => n.finalized.get(id)!)) - start)
      chains[c] = coinsOf(b, [to, coin.owner])[1]!
    }
  }
  await run(30, false) // warm-up
  await run(payments, true)
  const r = (x: number) => round(x, 2)
  const result = {
    payments,
    p50Ms: r(quantile(latencies, 0.5)),
    p99Ms: r(quantile(latencies, 0.99)),
    maxMs: r(Math.max(...latencies)),
    alarms: nodes.flatMap((n) => n.alarms),
    penalties: nodes.reduce((k, n) => k + n.penalties.length, 0),
  }
  await stopCluster()
  return result
}

// ── 3. wallet fan-out to 1,000 WebSocket subscribers ──────────────────────────────────────────

/** The wallet fan-out measure of the wallet-protocol tests (test/support/wallet-fanout.ts). */
async function fanOut(pool: VerifierPool, subscribers: number, payments: number) {
  const f = await measureFanout({
    subscribers,
    payments,
    checked: 10,
    transport: 'ws',
    verifier: pool,
  })
  const r = (x: number) => round(x, 1)
  return {
    subscribers: f.subscribers,
    connectRetries: f.connectRetries,
    connectMs: f.subscribeMs,
    payments: f.payments,
    receipts: f.receipts,
    missingReceipts: f.expectedReceipts - f.receipts,
    finalityToReceiptP50Ms: r(f.latencyMs.p50),
    finalityToReceiptP99Ms: r(f.latencyMs.p99),
    finalityToReceiptMaxMs: r(f.latencyMs.max),
    masternodePushP50Ms: r(f.serverPushMs.p50),
    masternodePushP99Ms: r(f.serverPushMs.p99),
    rssBeforeMB: r(f.rssBeforeBytes / 1e6),
    rssAfterMB: r(f.rssAfterBytes / 1e6),
    rssPerSubscriberKB: r(f.rssPerSubscriberBytes / 1e3),
    heapPerSubscriberKB: r(f.heapPerSubscriberBytes / 1e3),
    proofsRefusedByCheckingWallets: f.refused,
    slowWallets: f.slowWallets,
    connectionMonitor: f.connectionMonitor,
  }
}

// ── the run ───────────────────────────────────────────────────────────────────────────────────

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 300_000)
const PAYMENTS = Number(process.env.BENCH_PAYMENTS ?? 300)
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1_000)
const FANOUT_PAYMENTS = Number(process.env.BENCH_FANOUT_PAYMENTS ?? 10)

const pool = createVerifierPool(2)
stoppers.push(() => pool.close())
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)))
try {
  log('yardsticks: echo RTT and stream throughput over loopback TCP')
  const raw = await yardsticks()
  log(
    `echo p50 ${raw.persistentStreamEcho.p50Ms} ms; ${raw.streamThroughput.megabytesPerSecond} MB/s`,
  )
  log(`one connection: ${MESSAGES} engine messages through a committee link`)
  const messages = await messagesPerSecond(MESSAGES)
  log(`${messages.decodedAndDispatchedPerSec} msgs/s`)
  for (const stop of stoppers.splice(1).reverse()) await stop() // the link hosts; the pool stays
  log(`finality: ${PAYMENTS} payments, one at a time, four masternodes over TCP`)
  const final = await finality(pool, PAYMENTS)
  log(`p50 ${final.p50Ms} ms, p99 ${final.p99Ms} ms`)
  const echoAfter = await yardsticks()
  log(`fan-out: ${SUBSCRIBERS} WebSocket subscribers, ${FANOUT_PAYMENTS} payments`)
  const fan = await fanOut(pool, SUBSCRIBERS, FANOUT_PAYMENTS)
  log(`p99 ${fan.finalityToReceiptP99Ms} ms; ${fan.rssPerSubscriberKB} KB RSS per subscriber`)

  const echoP50 = Math.max(raw.persistentStreamEcho.p50Ms, 0.001)
  const echoP50After = echoAfter.persistentStreamEcho.p50Ms
  report('network', {
    machine: 'shared, loaded',
    loadAverage: { atStart: loadAtStart, atEnd: load() },
    oneConnection: {
      ...messages,
      rawStreamMegabytesPerSecond: raw.streamThroughput.megabytesPerSecond,
      target: '≥ 100,000 msgs/s decoded and dispatched',
      met: messages.decodedAndDispatchedPerSec >= 100_000,
    },
    finality: {
      masternodes: 4,
      transport: 'loopback TCP, in one process (engines, links, worker-pool verifier)',
      load: 'one payment at a time, submitted at each node in turn; submit → final at all four',
      ...final,
      echoRttP50Ms: raw.persistentStreamEcho.p50Ms,
      echoRttP99Ms: raw.persistentStreamEcho.p99Ms,
      echoRttP50MsAfter: echoP50After,
      p50OverEchoRtt: round(final.p50Ms / echoP50, 1),
      target: 'p50 ≤ 10 ms, p99 ≤ 50 ms, p50 ≤ 20 × echo RTT',
      met: {
        p50: final.p50Ms <= 10,
        p99: final.p99Ms <= 50,
        echoRatio: final.p50Ms <= 20 * echoP50,
      },
    },
    fanOut: {
      transport: 'WebSockets on loopback; the subscribers in a child process',
      ...fan,
      target:
        'p99 ≤ 100 ms from finality at the masternode to receipt; RSS per subscriber reported',
      met: fan.finalityToReceiptP99Ms <= 100 && fan.missingReceipts === 0,
    },
    seconds: round((performance.now() - started) / 1000),
  })
} finally {
  await cleanup()
}
