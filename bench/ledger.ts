// `npm run bench:ledger`: how fast the ledger validates and admits transactions, and how the UTXO
// set behaves at 1,000,000 entries: bulk writes into LevelDB, random lookups (LevelDB, the memory
// store, the in-memory UtxoSet) and `Ledger.open` at node start, with and without the saved
// LtHash commitment. Prints one JSON object and writes bench/results/ledger.json. About a minute
// on 2 cores; temporary directories are removed.

import { randomFillSync } from 'node:crypto'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type AddressPayload,
  type Amount,
  Bucket,
  COIN,
  decodeTransaction,
  ed25519,
  encodeTransaction,
  inputSigningMessage,
  Ledger,
  LtHash,
  MemoryStore,
  MIN_FEE,
  type OutPoint,
  type SignatureCheck,
  type Store,
  type Txid,
  type TxOutput,
  type UtxoEntry,
} from '../src/core/index.ts'
import {
  COMMITMENT_ELEMENT_BYTES,
  encodeUtxoRecord,
  UTXO_COMMITMENT_KEY,
  utxoKey,
} from '../src/core/ledger/utxo-codec.ts'
import type { BatchOp } from '../src/core/storage/store.ts'
import { type LevelStoreOptions, openLevelStore } from '../src/node/storage/level-store.ts'
import {
  GENESIS_HASH,
  GENESIS_TXID,
  keyPair,
  payloadOf,
  spend,
} from '../test/support/ledger-fixture.ts'
import { opsPerSecond, report } from './measure.ts'

const started = performance.now()
const round = (x: number, digits = 0) => Number(x.toFixed(digits))
const perSec = (count: number, ms: number) => Math.round((count * 1000) / ms)
/** Other processes on the machine skew every figure; the load average says how busy it was. */
const loadAtStart = loadavg().map((x) => round(x, 2))

// ── validation and admission: 1-input, 2-output transactions ────────────────────────────────

/** Distinct signing keys: all fit the native verifier's key cache (4,096), as a busy node's do. */
const KEYS = 256
/** Distinct transactions, each spending its own genesis coin; the loops cycle through them. */
const TXS = 4096
const CONCURRENCY = 256

const owners = Array.from({ length: KEYS }, (_, i) => keyPair(i))
const coinValue = 10n * COIN
const genesisOutputs = Array.from(
  { length: TXS },
  (_, i): TxOutput => ({ value: coinValue as Amount, address: payloadOf(owners[i % KEYS]!) }),
)

function ledgerWithCoins(): Ledger {
  const ledger = new Ledger({ genesisHash: GENESIS_HASH })
  ledger.createOutputs(GENESIS_TXID, genesisOutputs, 0)
  return ledger
}

const built = Array.from({ length: TXS }, (_, i) =>
  spend(
    [{ outpoint: { txid: GENESIS_TXID, vout: i }, value: coinValue, owner: owners[i % KEYS]! }],
    [
      { to: owners[(i + 1) % KEYS]!, value: 6n * COIN },
      { to: owners[i % KEYS]!, value: 4n * COIN - MIN_FEE },
    ],
  ),
)
const wire = built.map((b) => encodeTransaction(b.tx))
const ledger = ledgerWithCoins()

/** The full path a masternode runs on a transaction from the wire, short of admitting it. */
async function validate(bytes: Uint8Array): Promise<void> {
  const { tx, txid } = decodeTransaction(bytes)
  await ledger.verify(tx, txid)
  const check = ledger.checkSpend(tx, txid)
  if (check.status !== 'spendable') throw new Error(`unexpected spend check ${check.status}`)
}

let nextTx = 0
const validatedSequentialPerSec = await opsPerSecond(() => validate(wire[nextTx++ % TXS]!))
const validatedConcurrentPerSec = await opsPerSecond(() => {
  const from = (nextTx++ * CONCURRENCY) % TXS
  return Promise.all(wire.slice(from, from + CONCURRENCY).map(validate))
}, CONCURRENCY)

// The signature bound of the same transactions: their input checks alone, batched likewise.
const checks: SignatureCheck[] = built.map((b) => ({
  signature: b.tx.inputs[0]!.signature,
  message: inputSigningMessage(GENESIS_HASH, b.txid, 0),
  publicKey: b.tx.inputs[0]!.publicKey,
}))
const verifyManyPerSec = await opsPerSecond(() => {
  const from = (nextTx++ * CONCURRENCY) % TXS
  return ed25519.verifyMany(checks.slice(from, from + CONCURRENCY))
}, CONCURRENCY)

// Admission: check the spend, lock the input, add to the mempool, build the batch (no disk).
// Each round admits every transaction into a fresh ledger (built outside the timing).
const decoded = wire.map(decodeTransaction)
let admitted = 0
let admitMs = 0
let admitOps = 0
while (admitMs < 1000 || admitted < 4 * TXS) {
  const fresh = ledgerWithCoins()
  const t0 = performance.now()
  for (const { tx, txid, size } of decoded) admitOps += fresh.admit(tx, txid, size, 1000).ops.length
  admitMs += performance.now() - t0
  admitted += TXS
}

const validation = {
  shape: '1 input, 2 outputs',
  txBytes: wire[0]!.length,
  distinctTransactions: TXS,
  distinctKeys: KEYS,
  ledgerUtxos: TXS,
  validatedSequentialPerSec,
  validatedConcurrentPerSec,
  concurrency: CONCURRENCY,
  signatureVerifyManyPerSec: verifyManyPerSec,
  admitPerSec: perSec(admitted, admitMs),
  admitBatchOpsPerTx: admitOps / admitted,
}

// ── the UTXO set at 1,000,000 entries ─────────────────────────────────────────────────────

const N = 1_000_000
const WRITE_BATCH = 10_000
const LOOKUP_CONCURRENCY = 64

// 500,000 random txids with two outputs each, random addresses, heights in blocks of ~2,000.
const txids = randomFillSync(new Uint8Array((N / 2) * 32))
const addresses = randomFillSync(new Uint8Array(N * 20))

const BASE_VALUE = 100_000

function outpointOf(i: number): OutPoint {
  const t = (i >>> 1) * 32
  return { txid: txids.subarray(t, t + 32) as Txid, vout: i & 1 }
}

function entryOf(i: number): UtxoEntry {
  return {
    outpoint: outpointOf(i),
    output: {
      value: BigInt(BASE_VALUE + i * 7919) as Amount,
      address: addresses.subarray(i * 20, i * 20 + 20) as AddressPayload,
    },
    height: 1 + (i >>> 11),
    state: { kind: 'Unspent' },
  }
}
/** Puts of entries [from, to), encoded with the ledger's own key and record functions. */
function utxoOps(from: number, to: number): BatchOp[] {
  const ops: BatchOp[] = new Array(to - from)
  for (let i = from; i < to; i++) {
    const entry = entryOf(i)
    ops[i - from] = { type: 'put', key: utxoKey(entry.outpoint), value: encodeUtxoRecord(entry) }
  }
  return ops
}

/**
 * Writes all N entries in chained batches of WRITE_BATCH: each write is awaited before the next
 * is issued. `pipelined`: the next batch is encoded while the previous one is being written (still
 * one write in flight, in order), as a sync loop would; otherwise encoding and writing alternate
 * and their times are counted apart.
 */
async function fill(
  store: Store,
  pipelined = false,
): Promise<{ encodeMs: number; writeMs: number }> {
  let encodeMs = 0
  let writeMs = 0
  let writing: Promise<void> | undefined
  for (let from = 0; from < N; from += WRITE_BATCH) {
    const t0 = performance.now()
    const ops = utxoOps(from, Math.min(N, from + WRITE_BATCH))
    const t1 = performance.now()
    encodeMs += t1 - t0
    if (pipelined) {
      await writing
      writing = store.write(ops)
    } else {
      await store.write(ops)
    }
    writeMs += performance.now() - t1
  }
  await writing
  return { encodeMs, writeMs }
}

async function directoryBytes(dir: string): Promise<number> {
  let total = 0
  for (const name of await readdir(dir)) total += (await stat(join(dir, name))).size
  return total
}

// xorshift32: a cheap, seeded stream of random indices into the N stored entries.
let seed = 0x9e3779b9
function randomIndex(): number {
  seed ^= seed << 13
  seed ^= seed >>> 17
  seed ^= seed << 5
  return (seed >>> 0) % N
}

let misses = 0
async function lookupOne(store: Store): Promise<void> {
  if ((await store.get(utxoKey(outpointOf(randomIndex())))) === undefined) misses++
}

async function lookups(store: Store) {
  return {
    sequentialPerSec: await opsPerSecond(() => lookupOne(store)),
    concurrentPerSec: await opsPerSecond(
      () => Promise.all(Array.from({ length: LOOKUP_CONCURRENCY }, () => lookupOne(store))),
      LOOKUP_CONCURRENCY,
    ),
  }
}

const MiB = 1024 * 1024
const dirs: string[] = []
async function levelWrite(opts: LevelStoreOptions, pipelined: boolean) {
  const dir = await mkdtemp(join(tmpdir(), 'timecoin-bench-ledger-'))
  dirs.push(dir)
  const store = await openLevelStore(dir, opts)
  const t0 = performance.now()
  const { encodeMs, writeMs } = await fill(store, pipelined)
  const totalMs = performance.now() - t0
  await store.close()
  const closedMs = performance.now() - t0
  return {
    dir,
    result: {
      utxosPerSec: perSec(N, totalMs),
      ...(pipelined
        ? {}
        : { writeOnlyUtxosPerSec: perSec(N, writeMs), encodeUtxosPerSec: perSec(N, encodeMs) }),
      seconds: round(totalMs / 1000, 2),
      secondsUntilClosed: round(closedMs / 1000, 2),
      mbOnDisk: round((await directoryBytes(dir)) / 1e6, 1),
    },
  }
}

try {
  // LevelDB bulk writes: serial and pipelined with the adapter's defaults, then pipelined with a
  // larger write buffer. The serial store is kept for the rest.
  const serial = await levelWrite({}, false)
  const pipelined = await levelWrite({}, true)
  await rm(pipelined.dir, { recursive: true, force: true })
  const bigBuffer = await levelWrite({ writeBufferSize: 64 * MiB }, true)
  await rm(bigBuffer.dir, { recursive: true, force: true })

  // The memory store: bulk load, then random lookups.
  let memory: MemoryStore | undefined = new MemoryStore()
  const m0 = performance.now()
  const memoryFill = await fill(memory)
  const memoryLoadMs = performance.now() - m0
  if (memory.size !== N) throw new Error(`memory store holds ${memory.size} entries`)
  const memoryLookups = await lookups(memory)
  memory = undefined

  // Node start: rebuild the ledger from LevelDB (decode, UtxoSet.load). The bench's store holds
  // no `utxoLtHash`, so the first open recomputes the commitment (an LtHash step per live entry),
  // as for a store written before the switch; then the state is saved and the ledger opened
  // again, as a node normally starts.
  const store = await openLevelStore(serial.dir)
  // What Ledger.open costs beyond: scanning the stored UTXOs, and the LtHash step per entry.
  const s0 = performance.now()
  let scanned = 0
  for await (const _ of store.iterate({ prefix: Uint8Array.of(Bucket.utxo) })) scanned++
  const scanMs = performance.now() - s0
  if (scanned !== N) throw new Error(`scanned ${scanned} UTXOs`)
  const lthash = new LtHash()
  const element = new Uint8Array(COMMITMENT_ELEMENT_BYTES)
  const ltHashAddPerSec = await opsPerSecond(() => {
    element[0]! += 1
    lthash.add(element)
  })
  // The first ledger is dropped once its state is saved: one of 1,000,000 entries in memory.
  const { openMs, digest } = await (async () => {
    const o0 = performance.now()
    const ledger = await Ledger.open(store, { genesisHash: GENESIS_HASH })
    const openMs = performance.now() - o0
    if (ledger.utxos.size !== N) throw new Error(`ledger opened with ${ledger.utxos.size} UTXOs`)
    const state = ledger.utxos.commitmentState()
    await store.write([{ type: 'put', key: UTXO_COMMITMENT_KEY, value: state }])
    return { openMs, digest: ledger.utxos.summary().commitment }
  })()
  const r0 = performance.now()
  const opened = await Ledger.open(store, { genesisHash: GENESIS_HASH })
  const reopenMs = performance.now() - r0
  if (opened.utxos.size !== N) throw new Error(`ledger reopened with ${opened.utxos.size} UTXOs`)
  if (!opened.utxos.summary().commitment.every((b, i) => b === digest[i]))
    throw new Error('the saved commitment differs from the recomputed one')
  const levelLookups = await lookups(store)
  await store.close()

  let utxoMisses = 0
  const utxoSetGetPerSec = await opsPerSecond(() => {
    if (opened.utxos.get(outpointOf(randomIndex())) === undefined) utxoMisses++
  })
  if (misses + utxoMisses > 0) throw new Error(`${misses + utxoMisses} lookups missed`)

  report('ledger', {
    validation,
    utxoSet: {
      entries: N,
      recordBytes: {
        key: utxoKey(outpointOf(0)).length,
        value: encodeUtxoRecord(entryOf(0)).length,
      },
      levelWrite: {
        batch: WRITE_BATCH,
        chained: true,
        sync: false,
        serial: serial.result,
        pipelined: pipelined.result,
        pipelinedWriteBuffer64MiB: bigBuffer.result,
        target: { utxosPerSec: 200_000 },
      },
      lookups: {
        note: 'random present keys; the LevelDB files sit in the OS page cache (warm)',
        level: { ...levelLookups, concurrency: LOOKUP_CONCURRENCY },
        memoryStore: { ...memoryLookups, concurrency: LOOKUP_CONCURRENCY },
        utxoSetGetPerSec,
      },
      memoryStoreLoad: {
        utxosPerSec: perSec(N, memoryLoadMs),
        writeOnlyUtxosPerSec: perSec(N, memoryFill.writeMs),
        seconds: round(memoryLoadMs / 1000, 2),
      },
      ledgerOpen: {
        note: 'entriesPerSec/seconds: no saved utxoLtHash, the commitment recomputed per entry',
        entriesPerSec: perSec(N, openMs),
        seconds: round(openMs / 1000, 2),
        withSavedCommitment: {
          entriesPerSec: perSec(N, reopenMs),
          seconds: round(reopenMs / 1000, 2),
        },
        levelScanEntriesPerSec: perSec(N, scanMs),
        ltHashAddPerSec,
      },
    },
    benchSeconds: round((performance.now() - started) / 1000, 1),
    loadAverage: {
      note: 'a shared machine: other processes (tests, other benchmarks) may run meanwhile',
      atStart: loadAtStart,
      atEnd: loadavg().map((x) => round(x, 2)),
    },
  })
} finally {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
}
