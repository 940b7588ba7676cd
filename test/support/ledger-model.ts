/**
 * Random operation sequences for the ledger, and the driver that applies them. A scenario is a
 * small universe (4–8 keys, 6–12 genesis coins) and a list of abstract operations whose choices
 * are numbers resolved against the ledger's current state, so every sequence is meaningful and
 * the driver is deterministic given the sequence (signing is deterministic, keys are fixed).
 * The driver is also a partial oracle: it knows which outcome each operation must have (applied,
 * or rejected with one typed code) and throws a `ModelViolation` on anything else. It imports no
 * test runner, so a child process can replay a scenario too.
 */
import fc from 'fast-check'
import {
  type AddressPayload,
  type Amount,
  bytesToHex,
  COIN,
  computeTxid,
  DEFAULT_MEMPOOL_LIMITS,
  DUST_LIMIT,
  encodeTransaction,
  isLive,
  type KeyPair,
  Ledger,
  LedgerError,
  type LedgerOptions,
  LOCK_EXPIRY_MS,
  type MempoolEntry,
  type MempoolLimits,
  MIN_FEE,
  type OutPoint,
  outPointToString,
  type Store,
  sha256,
  signTransaction,
  type Transaction,
  TransactionError,
  type Transition,
  type Txid,
  type TxOutput,
  txidToHex,
  type UnsignedTransaction,
  type UtxoEntry,
  utf8ToBytes,
} from '../../src/core/index.ts'
import {
  certificateKey,
  encodeMempoolRecord,
  mempoolKey,
} from '../../src/core/ledger/mempool-codec.ts'
import { encodeUtxoRecord, UTXO_COMMITMENT_KEY, utxoKey } from '../../src/core/ledger/utxo-codec.ts'
import { GENESIS_HASH, GENESIS_TXID, keyPair, payloadOf } from './ledger-fixture.ts'

// ── scenarios ───────────────────────────────────────────────────────────────

export interface Universe {
  /** Keys 0..keys-1 of the fixture own every coin. */
  readonly keys: number
  readonly genesis: readonly { readonly owner: number; readonly value: bigint }[]
  readonly mempool: MempoolLimits
}

/** An output to create: its owner (mod the key count) and its share of the value. */
export interface OutSpec {
  readonly to: number
  readonly weight: number
}

export type InvalidFlavor =
  | 'badSignature'
  | 'wrongNetwork'
  | 'tampered'
  | 'feeTooLow'
  | 'insufficientFunds'
  | 'wrongKey'
  | 'dust'
  | 'missingInput'
  | 'duplicateInput'

export type BlockFault = 'none' | 'doubleSpend' | 'spentElsewhere' | 'reconfirm'

/**
 * Operations. `dt` advances the clock first (ms). `pick`/`picks` index the candidates (sorted,
 * taken modulo their count); an operation with no candidate is skipped.
 */
export type Op =
  /** A valid spend of Unspent coins (`chained`: prefer outputs of final, unconfirmed txs). */
  | {
      readonly type: 'admit'
      readonly dt: number
      readonly picks: readonly number[]
      readonly outs: readonly OutSpec[]
      readonly tip: bigint
      readonly voted: boolean
      readonly chained: boolean
    }
  /** A valid-looking spend reusing a coin some transaction already locked or spent. */
  | {
      readonly type: 'admitConflict'
      readonly dt: number
      readonly pick: number
      readonly picks: readonly number[]
      readonly outs: readonly OutSpec[]
    }
  | {
      readonly type: 'admitInvalid'
      readonly dt: number
      readonly flavor: InvalidFlavor
      readonly picks: readonly number[]
      readonly outs: readonly OutSpec[]
      readonly n: number
    }
  /** Submits again a transaction admitted or finalized earlier (a wallet's rebroadcast). */
  | {
      readonly type: 'readmit'
      readonly dt: number
      readonly pick: number
      /** Prefer one no longer in the mempool (expired, evicted, dropped or confirmed). */
      readonly gone: boolean
      readonly voted: boolean
    }
  | {
      readonly type: 'markVoted'
      readonly dt: number
      readonly pick: number
      readonly unknown: boolean
    }
  | {
      readonly type: 'recordVotes'
      readonly dt: number
      readonly pick: number
      readonly votes: number
      readonly unknown: boolean
    }
  /** A certificate for a mempool transaction (pending, or finalized already: a no-op). */
  | {
      readonly type: 'finalize'
      readonly dt: number
      readonly pick: number
      readonly certificate: Uint8Array
    }
  /**
   * A certificate for a transaction this node never admitted, spending a coin some other
   * transaction locked (override) or spent finally (LEDGER_DOUBLE_FINALITY); `missing` puts an
   * unknown parent first instead.
   */
  | {
      readonly type: 'finalizeConflict'
      readonly dt: number
      readonly pick: number
      readonly picks: readonly number[]
      readonly outs: readonly OutSpec[]
      readonly certificate: Uint8Array
      readonly missing: boolean
    }
  /** A block of finalized transactions (ancestors first), or a bad block that must change nothing. */
  | {
      readonly type: 'confirm'
      readonly dt: number
      readonly picks: readonly number[]
      readonly fault: BlockFault
    }
  | { readonly type: 'expire'; readonly dt: number }
  /** A block reward: outputs with no inputs. */
  | { readonly type: 'reward'; readonly dt: number; readonly to: number; readonly value: bigint }

export interface Scenario {
  readonly universe: Universe
  readonly ops: readonly Op[]
}

const arbPick = fc.nat({ max: 0xffff })
const arbPicks = fc.array(arbPick, { minLength: 1, maxLength: 3 })
const arbOuts = fc.array(
  fc.record({ to: fc.nat({ max: 7 }), weight: fc.integer({ min: 1, max: 4 }) }),
  { minLength: 1, maxLength: 3 },
)
const arbDt = fc.nat({ max: 60_000 })
const arbCertificate = fc.uint8Array({ minLength: 0, maxLength: 40 })

export const arbUniverse: fc.Arbitrary<Universe> = fc.record({
  keys: fc.integer({ min: 4, max: 8 }),
  genesis: fc.array(
    fc.record({
      owner: fc.nat({ max: 7 }),
      value: fc.bigInt({ min: COIN / 10n, max: 20n * COIN }),
    }),
    { minLength: 6, maxLength: 12 },
  ),
  mempool: fc.constantFrom<MempoolLimits>(
    DEFAULT_MEMPOOL_LIMITS,
    { maxCount: 4, maxBytes: 1_000_000 },
    { maxCount: 1_000, maxBytes: 1_500 },
  ),
})

export const arbOp: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      type: fc.constant('admit' as const),
      dt: arbDt,
      picks: arbPicks,
      outs: arbOuts,
      tip: fc.constantFrom(0n, 1n, MIN_FEE / 2n, 3n * MIN_FEE, COIN / 10n),
      voted: fc.boolean(),
      chained: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('admitConflict' as const),
      dt: arbDt,
      pick: arbPick,
      picks: fc.array(arbPick, { maxLength: 2 }),
      outs: arbOuts,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('admitInvalid' as const),
      dt: arbDt,
      flavor: fc.constantFrom<InvalidFlavor>(
        'badSignature',
        'wrongNetwork',
        'tampered',
        'feeTooLow',
        'insufficientFunds',
        'wrongKey',
        'dust',
        'missingInput',
        'duplicateInput',
      ),
      picks: arbPicks,
      outs: arbOuts,
      n: arbPick,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('readmit' as const),
      dt: arbDt,
      pick: arbPick,
      gone: fc.nat({ max: 3 }).map((n) => n > 0),
      voted: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('markVoted' as const),
      dt: arbDt,
      pick: arbPick,
      unknown: fc.nat({ max: 7 }).map((n) => n === 0),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('recordVotes' as const),
      dt: arbDt,
      pick: arbPick,
      votes: fc.nat({ max: 12 }),
      unknown: fc.nat({ max: 7 }).map((n) => n === 0),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      type: fc.constant('finalize' as const),
      dt: arbDt,
      pick: arbPick,
      certificate: arbCertificate,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('finalizeConflict' as const),
      dt: arbDt,
      pick: arbPick,
      picks: fc.array(arbPick, { maxLength: 2 }),
      outs: arbOuts,
      certificate: arbCertificate,
      missing: fc.nat({ max: 5 }).map((n) => n === 0),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('confirm' as const),
      dt: arbDt,
      picks: arbPicks,
      fault: fc.constantFrom<BlockFault>(
        'none',
        'none',
        'none',
        'doubleSpend',
        'spentElsewhere',
        'reconfirm',
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('expire' as const),
      dt: fc.nat({ max: 2 * LOCK_EXPIRY_MS }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('reward' as const),
      dt: arbDt,
      to: fc.nat({ max: 7 }),
      value: fc.bigInt({ min: DUST_LIMIT, max: 5n * COIN }),
    }),
  },
)

export function arbScenario(
  opts: { readonly minOps?: number; readonly maxOps?: number } = {},
): fc.Arbitrary<Scenario> {
  return fc.record({
    universe: arbUniverse,
    ops: fc.array(arbOp, {
      minLength: opts.minOps ?? 1,
      maxLength: opts.maxOps ?? 30,
      // Long sequences reach deep states (chains, blocks, expiries); shrinking still shortens them.
      size: 'max',
    }),
  })
}

/** The scenario fast-check generates for `seed`: the same in every process. */
export function scenarioFromSeed(
  seed: number,
  opts: { readonly minOps?: number; readonly maxOps?: number } = {},
): Scenario {
  return fc.sample(arbScenario(opts), { seed, numRuns: 1 })[0]!
}

/**
 * The fixed sequences every store adapter replays (test/node and test/browser
 * ledger-adapters): the same in every run, so adapters are compared on identical histories.
 */
export function adapterScenarios(count = 8): Scenario[] {
  return fc.sample(arbScenario({ minOps: 20, maxOps: 60 }), { seed: 0x7153_c0, numRuns: count })
}

// ── the driver ──────────────────────────────────────────────────────────────

/** The driver's expectation was not met: a ledger bug (or a bug in the model). */
export class ModelViolation extends Error {
  override readonly name = 'ModelViolation'
}

export type Outcome =
  | { readonly kind: 'applied'; readonly transition: Transition }
  | { readonly kind: 'rejected'; readonly code: string }
  | { readonly kind: 'skipped' }

export interface Built {
  readonly tx: Transaction
  readonly txid: Txid
  readonly size: number
}

interface Coin {
  readonly outpoint: OutPoint
  readonly value: bigint
  readonly owner: number
}

/** `ok`: must apply; otherwise the typed codes it may be rejected with. */
interface Expect {
  readonly ok: boolean
  readonly codes: readonly string[]
}

const mustApply: Expect = { ok: true, codes: [] }
const mustReject = (...codes: string[]): Expect => ({ ok: false, codes })

const signatures = new Map<string, Transaction>()

/** Signs deterministically; memoised, since the same sequence is replayed many times. */
function signCached(
  unsigned: UnsignedTransaction,
  signers: readonly KeyPair[],
  genesisHash: Uint8Array,
): Transaction {
  const id = `${bytesToHex(genesisHash)}:${txidToHex(computeTxid(unsigned))}`
  let tx = signatures.get(id)
  if (tx === undefined) {
    tx = signTransaction(
      unsigned,
      signers.map((k) => k.secretKey),
      genesisHash,
    )
    if (signatures.size > 20_000) signatures.clear()
    signatures.set(id, tx)
  }
  return tx
}

const OTHER_NETWORK = sha256(utf8ToBytes('another network'))

function built(tx: Transaction): Built {
  return { tx, txid: computeTxid(tx), size: encodeTransaction(tx).length }
}

function sum(values: Iterable<bigint>): bigint {
  let s = 0n
  for (const v of values) s += v
  return s
}

const byHex =
  <T>(hex: (t: T) => string) =>
  (a: T, b: T) =>
    hex(a) < hex(b) ? -1 : hex(a) > hex(b) ? 1 : 0
const byTxid = byHex<{ txid: Txid }>((e) => txidToHex(e.txid))

export function describeOp(op: Op): string {
  return JSON.stringify(op, (_, v) =>
    typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? bytesToHex(v) : v,
  )
}

/** Applies operations to one ledger and keeps what the invariants need to know. */
export class LedgerDriver {
  readonly ledger: Ledger
  readonly universe: Universe
  readonly options: LedgerOptions
  readonly #keys: KeyPair[]
  readonly #ownerOf = new Map<string, number>()
  /** Every batch produced, in order; [0] is the genesis allocation. */
  readonly transitions: Transition[] = []
  /** The operation index that produced each transition (-1 for genesis). */
  readonly transitionOps: number[] = []
  now = 0
  height = 0
  /** Operations applied so far (successful or not). */
  step = 0
  /** Genesis plus block rewards. */
  minted = 0n
  #nonce = 1
  /** Fee of every transaction whose spend is final, by txid hex. */
  #fees = new Map<string, bigint>()
  /** Transactions admitted or finalized, in order, for rebroadcasts; by txid hex. */
  #history = new Map<string, Built>()

  private constructor(universe: Universe, ledger: Ledger, options: LedgerOptions) {
    this.universe = universe
    this.ledger = ledger
    this.options = options
    this.#keys = Array.from({ length: universe.keys }, (_, i) => keyPair(i))
    for (const [i, k] of this.#keys.entries()) this.#ownerOf.set(bytesToHex(payloadOf(k)), i)
  }

  static ledgerOptions(universe: Universe): LedgerOptions {
    return { genesisHash: GENESIS_HASH, mempool: universe.mempool }
  }

  /** A fresh ledger with the universe's genesis allocation applied (transition 0). */
  static create(universe: Universe): LedgerDriver {
    const options = LedgerDriver.ledgerOptions(universe)
    const driver = new LedgerDriver(universe, new Ledger(options), options)
    const outputs = universe.genesis.map(
      (g): TxOutput => ({
        value: g.value as Amount,
        address: payloadOf(driver.#keys[g.owner % universe.keys]!),
      }),
    )
    driver.minted = sum(universe.genesis.map((g) => g.value))
    driver.#record(driver.ledger.createOutputs(GENESIS_TXID, outputs, 0), -1)
    return driver
  }

  /**
   * Continues `from`'s run on `ledger` (e.g. reopened from a store after a crash): the same
   * clock, height and bookkeeping, a different ledger object. Transitions start empty.
   */
  static resume(from: LedgerDriver, ledger: Ledger): LedgerDriver {
    const driver = new LedgerDriver(from.universe, ledger, from.options)
    driver.now = from.now
    driver.height = from.height
    driver.step = from.step
    driver.minted = from.minted
    driver.#nonce = from.#nonce
    driver.#fees = new Map(from.#fees)
    driver.#history = new Map(from.#history)
    return driver
  }

  /** Sum of the fees of every transaction final so far. */
  get finalFees(): bigint {
    return sum(this.#fees.values())
  }

  /** Txids that may hold a certificate (every transaction ever final here). */
  finalTxids(): Txid[] {
    return [...this.#history.values()]
      .filter((b) => this.#fees.has(txidToHex(b.txid)))
      .map((b) => b.txid)
  }

  dump(): LedgerDump {
    return dumpLedger(this.ledger, this.finalTxids())
  }

  /** What the store must hold for the current state. */
  storeImage(): string[] {
    return ledgerStoreImage(this.ledger, this.finalTxids())
  }

  /** Applies one operation, checking its outcome; applied transitions are also recorded. */
  async apply(op: Op): Promise<Outcome> {
    const index = this.step++
    this.now += op.dt
    const outcome = await this.#dispatch(op).catch((err: unknown) => {
      if (err instanceof ModelViolation) {
        err.message = `op ${index} ${describeOp(op)}: ${err.message}`
      }
      throw err
    })
    if (outcome.kind === 'applied') this.#record(outcome.transition, index)
    return outcome
  }

  // ── operations ────────────────────────────────────────────────────────────

  #dispatch(op: Op): Promise<Outcome> {
    switch (op.type) {
      case 'admit':
        return this.#admit(op)
      case 'admitConflict':
        return this.#admitConflict(op)
      case 'admitInvalid':
        return this.#admitInvalid(op)
      case 'readmit':
        return this.#readmit(op)
      case 'markVoted':
      case 'recordVotes':
        return this.#vote(op)
      case 'finalize':
        return this.#finalize(op)
      case 'finalizeConflict':
        return this.#finalizeConflict(op)
      case 'confirm':
        return this.#confirm(op)
      case 'expire':
        return this.#expire()
      case 'reward':
        return this.#reward(op)
    }
  }

  async #admit(op: Extract<Op, { type: 'admit' }>): Promise<Outcome> {
    let pool = this.#coins((e) => e.state.kind === 'Unspent')
    if (op.chained) {
      const chained = pool.filter((c) => this.ledger.utxos.get(c.outpoint)!.height === null)
      if (chained.length > 0) pool = chained
    }
    const inputs = choose(pool, op.picks)
    if (inputs.length === 0) return skipped
    const available = sum(inputs.map((c) => c.value)) - MIN_FEE - op.tip
    const b = this.#build(inputs, this.#split(available, op.outs))
    if (b === null) return skipped
    return this.#submit(b, op.voted, this.#admissible(b))
  }

  async #admitConflict(op: Extract<Op, { type: 'admitConflict' }>): Promise<Outcome> {
    const taken = this.#coins((e) => e.state.kind !== 'Unspent')
    if (taken.length === 0) return skipped
    const first = taken[op.pick % taken.length]!
    const rest = choose(
      this.#coins((e) => e.state.kind === 'Unspent'),
      op.picks,
    )
    const inputs = [first, ...rest]
    const b = this.#build(inputs, this.#split(sum(inputs.map((c) => c.value)) - MIN_FEE, op.outs))
    if (b === null) return skipped
    return this.#submit(b, false, mustReject('LEDGER_CONFLICT'))
  }

  async #admitInvalid(op: Extract<Op, { type: 'admitInvalid' }>): Promise<Outcome> {
    const inputs = choose(
      this.#coins((e) => e.state.kind === 'Unspent'),
      op.picks,
    )
    if (inputs.length === 0) return skipped
    const total = sum(inputs.map((c) => c.value))
    const outputs = (available: bigint) => this.#split(available, op.outs)
    const valid = () => this.#build(inputs, outputs(total - MIN_FEE))
    let b: Built | null
    let code: string
    switch (op.flavor) {
      case 'badSignature': {
        b = valid()
        if (b !== null) {
          const [first, ...others] = b.tx.inputs
          const signature = first!.signature.slice()
          signature[op.n % 32]! ^= 1 << (op.n % 8)
          b = built({ ...b.tx, inputs: [{ ...first!, signature }, ...others] })
        }
        code = 'TX_SIGNATURE'
        break
      }
      case 'wrongNetwork':
        b = this.#build(inputs, outputs(total - MIN_FEE), { genesisHash: OTHER_NETWORK })
        code = 'TX_SIGNATURE'
        break
      case 'tampered': {
        b = valid()
        if (b !== null) {
          const [first, ...others] = b.tx.outputs
          b = built({
            ...b.tx,
            outputs: [{ ...first!, value: (first!.value + 1n) as Amount }, ...others],
          })
        }
        code = 'TX_SIGNATURE'
        break
      }
      case 'feeTooLow':
        b = this.#build(inputs, outputs(total - ((BigInt(op.n) * 7919n) % MIN_FEE)))
        code = 'LEDGER_FEE_TOO_LOW'
        break
      case 'insufficientFunds':
        b = this.#build(inputs, outputs(total + 1n + BigInt(op.n)))
        code = 'LEDGER_INSUFFICIENT_FUNDS'
        break
      case 'wrongKey': {
        const owner = inputs[0]!.owner
        const other = (owner + 1 + (op.n % (this.universe.keys - 1))) % this.universe.keys
        b = this.#build(
          [{ ...inputs[0]!, owner: other }, ...inputs.slice(1)],
          outputs(total - MIN_FEE),
        )
        code = 'LEDGER_INPUT_KEY'
        break
      }
      case 'dust': {
        const split = outputs(total - MIN_FEE - DUST_LIMIT)
        b =
          split === null
            ? null
            : this.#build(inputs, [
                ...split,
                { to: op.n % this.universe.keys, value: 1n + (BigInt(op.n) % (DUST_LIMIT - 1n)) },
              ])
        code = 'LEDGER_DUST'
        break
      }
      case 'missingInput': {
        // The output of a transaction not final yet (a parent not seen), or of none at all.
        const pending = this.#mempool().filter((e) => e.status === 'pending')
        const parent = pending.length > 0 ? pending[op.n % pending.length]!.txid : this.#freshTxid()
        const orphan: Coin = {
          outpoint: { txid: parent, vout: 0 },
          value: 0n,
          owner: op.n % this.universe.keys,
        }
        b = this.#build([orphan, ...inputs], outputs(total - MIN_FEE))
        code = 'LEDGER_MISSING_INPUT'
        break
      }
      case 'duplicateInput':
        b = this.#build([...inputs, inputs[0]!], outputs(total - MIN_FEE))
        code = 'TX_DUPLICATE_INPUT'
        break
    }
    if (b === null) return skipped
    return this.#submit(b, false, mustReject(code))
  }

  async #readmit(op: Extract<Op, { type: 'readmit' }>): Promise<Outcome> {
    let history = [...this.#history.values()]
    if (op.gone) {
      // Expired or evicted ones whose inputs nothing else took first, then any out of the mempool.
      const gone = history.filter((b) => this.ledger.mempool.get(b.txid) === undefined)
      const free = gone.filter((b) =>
        b.tx.inputs.every((i) => {
          const s = this.ledger.utxos.get(i.outpoint)!.state
          return s.kind === 'Unspent' || (isLive(s) && sameTxid(s.txid, b.txid))
        }),
      )
      if (free.length > 0) history = free
      else if (gone.length > 0) history = gone
    }
    if (history.length === 0) return skipped
    const b = history[op.pick % history.length]!
    if (this.ledger.mempool.get(b.txid) !== undefined) {
      return this.#submit(b, op.voted, mustReject('MEMPOOL_DUPLICATE'))
    }
    // Out of the mempool: expired, evicted, dropped as a conflict, or confirmed.
    const states = b.tx.inputs.map((i) => this.ledger.utxos.get(i.outpoint)!.state)
    const others = states.some((s) => s.kind !== 'Unspent' && !sameTxid(s.txid, b.txid))
    const final = states.some((s) => !isLive(s))
    if (others || final) return this.#submit(b, op.voted, mustReject('LEDGER_CONFLICT'))
    // Inputs unspent again, or still held for this very transaction: it is admissible.
    return this.#submit(b, op.voted, this.#admissible(b))
  }

  async #vote(op: Extract<Op, { type: 'markVoted' | 'recordVotes' }>): Promise<Outcome> {
    const entries = this.#mempool()
    let txid: Txid
    let expect = mustApply
    if (op.unknown || entries.length === 0) {
      const gone = [...this.#history.values()].filter(
        (b) => this.ledger.mempool.get(b.txid) === undefined,
      )
      txid = gone.length > 0 ? gone[op.pick % gone.length]!.txid : this.#freshTxid()
      expect = mustReject('LEDGER_UNKNOWN_TX')
    } else {
      txid = entries[op.pick % entries.length]!.txid
    }
    return this.#attempt(expect, () =>
      op.type === 'markVoted'
        ? this.ledger.markVoted(txid)
        : this.ledger.recordVotes(txid, op.votes),
    )
  }

  async #finalize(op: Extract<Op, { type: 'finalize' }>): Promise<Outcome> {
    const entries = this.#mempool()
    if (entries.length === 0) return skipped
    const entry = entries[op.pick % entries.length]!
    const again = entry.status === 'finalized'
    const removed = this.#conflicts(entry.tx, entry.txid)
    const fee = this.#feeOf(entry.tx)
    const outcome = await this.#attempt(mustApply, () =>
      this.ledger.finalize(entry.tx, entry.txid, op.certificate, entry.size, this.now),
    )
    if (outcome.kind === 'applied') {
      if (again && outcome.transition.ops.length > 0) {
        throw new ModelViolation('finalizing a finalized transaction again wrote a batch')
      }
      expectRemoved(outcome.transition, again ? [] : removed)
      if (!again) this.#fees.set(txidToHex(entry.txid), fee)
    }
    return outcome
  }

  async #finalizeConflict(op: Extract<Op, { type: 'finalizeConflict' }>): Promise<Outcome> {
    const taken = this.#coins((e) => e.state.kind !== 'Unspent')
    if (taken.length === 0) return skipped
    const first = taken[op.pick % taken.length]!
    const firstState = this.ledger.utxos.get(first.outpoint)!.state
    const inputs = [
      first,
      ...choose(
        this.#coins((e) => e.state.kind === 'Unspent'),
        op.picks,
      ),
    ]
    let expect = isLive(firstState) ? mustApply : mustReject('LEDGER_DOUBLE_FINALITY')
    if (op.missing) {
      inputs.unshift({ outpoint: { txid: this.#freshTxid(), vout: 0 }, value: 0n, owner: 0 })
      expect = mustReject('LEDGER_MISSING_INPUT')
    }
    const b = this.#build(inputs, this.#split(sum(inputs.map((c) => c.value)) - MIN_FEE, op.outs))
    if (b === null) return skipped
    const removed = this.#conflicts(b.tx, b.txid)
    const fee = expect.ok ? this.#feeOf(b.tx) : 0n
    const outcome = await this.#attempt(expect, () =>
      this.ledger.finalize(b.tx, b.txid, op.certificate, b.size, this.now),
    )
    if (outcome.kind === 'applied') {
      expectRemoved(outcome.transition, removed)
      this.#fees.set(txidToHex(b.txid), fee)
      this.#history.set(txidToHex(b.txid), b)
    }
    return outcome
  }

  async #confirm(op: Extract<Op, { type: 'confirm' }>): Promise<Outcome> {
    const finalized = this.#mempool().filter((e) => e.status === 'finalized')
    const height = this.height + 1
    let block: Built[]
    let expect = mustApply
    switch (op.fault) {
      case 'none':
      case 'doubleSpend': {
        if (finalized.length === 0) return skipped
        block = this.#withAncestors(choose(finalized, op.picks))
        if (op.fault === 'doubleSpend') {
          // A second spend, in the same block, of an input the block already spends.
          const last = block[block.length - 1]!
          const coin = this.#coinAt(last.tx.inputs[0]!.outpoint)
          const dup = this.#build([coin], this.#split(coin.value - MIN_FEE, [{ to: 0, weight: 1 }]))
          if (dup === null) return skipped
          block.push(dup)
          expect = mustReject('LEDGER_DOUBLE_FINALITY')
        }
        break
      }
      case 'spentElsewhere': {
        // A spend of a coin another transaction spent finally, after its creator if unconfirmed.
        const spent = this.#coins((e) => !isLive(e.state))
        if (spent.length === 0) return skipped
        const coin = spent[op.picks[0]! % spent.length]!
        const rival = this.#build([coin], this.#split(coin.value - MIN_FEE, [{ to: 1, weight: 1 }]))
        if (rival === null) return skipped
        const creator = finalized.find((e) => sameTxid(e.txid, coin.outpoint.txid))
        block = [...(creator === undefined ? [] : this.#withAncestors([creator])), rival]
        expect = mustReject('LEDGER_DOUBLE_FINALITY')
        break
      }
      case 'reconfirm': {
        // A transaction a block confirmed already, in a block at another height.
        const confirmed = [...this.#history.values()].filter((b) => {
          const s = this.ledger.utxos.get(b.tx.inputs[0]!.outpoint)!.state
          return s.kind === 'Confirmed' && sameTxid(s.txid, b.txid)
        })
        if (confirmed.length === 0) return skipped
        block = [confirmed[op.picks[0]! % confirmed.length]!]
        expect = mustReject('LEDGER_TRANSITION')
        break
      }
    }
    const inBlock = new Set(block.map((b) => txidToHex(b.txid)))
    const removed = new Map<string, Txid>()
    for (const b of block) {
      for (const t of this.#conflicts(b.tx, b.txid))
        if (!inBlock.has(txidToHex(t))) removed.set(txidToHex(t), t)
      if (this.ledger.mempool.get(b.txid) !== undefined) removed.set(txidToHex(b.txid), b.txid)
    }
    const outcome = await this.#attempt(expect, () => this.ledger.confirmBlock(height, block))
    if (outcome.kind === 'applied') {
      expectRemoved(outcome.transition, [...removed.values()])
      this.height = height
    }
    return outcome
  }

  async #expire(): Promise<Outcome> {
    const expiry = this.options.lockExpiryMs ?? LOCK_EXPIRY_MS
    const due = this.#mempool()
      .filter((e) => e.status === 'pending' && !e.voted && e.arrivedAt + expiry <= this.now)
      .map((e) => e.txid)
    const outcome = await this.#attempt(mustApply, () => this.ledger.expireLocks(this.now))
    if (outcome.kind === 'applied') expectRemoved(outcome.transition, due)
    return outcome
  }

  async #reward(op: Extract<Op, { type: 'reward' }>): Promise<Outcome> {
    const txid = this.#freshTxid()
    const output: TxOutput = { value: op.value as Amount, address: this.#payload(op.to) }
    const outcome = await this.#attempt(mustApply, () =>
      this.ledger.createOutputs(txid, [output], this.height),
    )
    if (outcome.kind === 'applied') this.minted += op.value
    return outcome
  }

  // ── helpers ───────────────────────────────────────────────────────────────

  /** Verifies, then admits: the path of a transaction arriving from a peer. */
  async #submit(b: Built, voted: boolean, expect: Expect): Promise<Outcome> {
    const mempool = this.ledger.mempool
    const full = this.#fullFor(b)
    const pendingBefore = new Map(
      [...mempool.entries()]
        .filter((e) => e.status === 'pending' && !e.voted)
        .map((e) => [txidToHex(e.txid), e]),
    )
    const outcome = await this.#attempt(expect, async () => {
      await this.ledger.verify(b.tx, b.txid)
      return this.ledger.admit(b.tx, b.txid, b.size, this.now, voted)
    })
    if (outcome.kind === 'applied') {
      this.#history.set(txidToHex(b.txid), b)
      const fee = mempool.get(b.txid)!.fee
      for (const t of outcome.transition.removed) {
        const victim = pendingBefore.get(txidToHex(t))
        // Only pending, unvoted transactions paying a strictly lower fee rate are evicted.
        if (victim === undefined || victim.fee * BigInt(b.size) >= fee * BigInt(victim.size)) {
          throw new ModelViolation(`admitting ${txidToHex(b.txid)} evicted ${txidToHex(t)}`)
        }
      }
      if (full && outcome.transition.removed.length === 0) {
        throw new ModelViolation('admitted into a full mempool without evicting')
      }
      const { count, bytes, limits } = mempool
      if (count > limits.maxCount || bytes > limits.maxBytes) {
        throw new ModelViolation(`mempool over its limits: ${count} txs, ${bytes} bytes`)
      }
    }
    return outcome
  }

  /** Runs a transition and checks it met `expect`; typed rejections become outcomes. */
  async #attempt(expect: Expect, run: () => Transition | Promise<Transition>): Promise<Outcome> {
    let transition: Transition
    try {
      transition = await run()
    } catch (err) {
      if (!(err instanceof LedgerError || err instanceof TransactionError)) throw err
      if (expect.codes.includes(err.code)) return { kind: 'rejected', code: err.code }
      throw new ModelViolation(
        `expected ${expect.ok ? 'success' : expect.codes.join(' or ')}, got ${err.code}: ${err.message}`,
        { cause: err },
      )
    }
    if (!expect.ok) {
      throw new ModelViolation(`expected ${expect.codes.join(' or ')}, but the transition applied`)
    }
    return { kind: 'applied', transition }
  }

  #record(transition: Transition, op: number): void {
    this.transitions.push(transition)
    this.transitionOps.push(op)
  }

  /** Would admitting `b` find the mempool at its limits (so MEMPOOL_FULL is a fair answer)? */
  /** A valid spend of free coins applies, or, when the mempool is at its limits, may be refused. */
  #admissible(b: Built): Expect {
    return this.#fullFor(b) ? { ok: true, codes: ['MEMPOOL_FULL'] } : mustApply
  }

  #fullFor(b: Built): boolean {
    const { mempool } = this.ledger
    return (
      mempool.count + 1 > mempool.limits.maxCount ||
      mempool.bytes + b.size > mempool.limits.maxBytes
    )
  }

  #payload(owner: number): AddressPayload {
    return payloadOf(this.#keys[owner % this.universe.keys]!)
  }

  /** Every coin whose entry passes `filter`, in outpoint order. */
  #coins(filter: (e: UtxoEntry) => boolean): Coin[] {
    return [...this.ledger.utxos.entries()]
      .filter(filter)
      .map((e) => this.#coinOf(e))
      .sort(byHex((c) => outPointToString(c.outpoint)))
  }

  #coinOf(e: UtxoEntry): Coin {
    const owner = this.#ownerOf.get(bytesToHex(e.output.address))
    if (owner === undefined)
      throw new ModelViolation(`coin ${outPointToString(e.outpoint)} has an unknown owner`)
    return { outpoint: e.outpoint, value: e.output.value, owner }
  }

  #coinAt(outpoint: OutPoint): Coin {
    return this.#coinOf(this.ledger.utxos.get(outpoint)!)
  }

  #mempool(): MempoolEntry[] {
    return [...this.ledger.mempool.entries()].sort(byTxid)
  }

  /** Mempool transactions other than `txid` spending an input of `tx`. */
  #conflicts(tx: Transaction, txid: Txid): Txid[] {
    const out = new Map<string, Txid>()
    for (const input of tx.inputs) {
      const other = this.ledger.mempool.spenderOf(input.outpoint)
      if (other !== undefined && !sameTxid(other, txid)) out.set(txidToHex(other), other)
    }
    return [...out.values()]
  }

  /** Inputs minus outputs, from the UTXO set as it is now. */
  #feeOf(tx: Transaction): bigint {
    const inputs = sum(tx.inputs.map((i) => this.ledger.utxos.get(i.outpoint)!.output.value))
    return inputs - sum(tx.outputs.map((o) => o.value))
  }

  /** The entries and their finalized, unconfirmed ancestors, parents first. */
  #withAncestors(entries: readonly MempoolEntry[]): Built[] {
    const out: Built[] = []
    const seen = new Set<string>()
    const visit = (e: MempoolEntry) => {
      const id = txidToHex(e.txid)
      if (seen.has(id)) return
      seen.add(id)
      for (const input of e.tx.inputs) {
        const parent = this.ledger.mempool.get(input.outpoint.txid)
        if (parent?.status === 'finalized') visit(parent)
      }
      out.push({ tx: e.tx, txid: e.txid, size: e.size })
    }
    for (const e of [...entries].sort(byTxid)) visit(e)
    return out
  }

  #freshTxid(): Txid {
    return sha256(utf8ToBytes(`ledger model txid ${this.#nonce++}`)) as Txid
  }

  /** `available` split by weight over the outputs, none below dust; null if it cannot be. */
  #split(available: bigint, outs: readonly OutSpec[]): { to: number; value: bigint }[] | null {
    let specs = outs
    while (specs.length > 1 && available < DUST_LIMIT * BigInt(specs.length)) specs = specs.slice(1)
    if (specs.length === 0 || available < DUST_LIMIT * BigInt(specs.length)) return null
    const rest = available - DUST_LIMIT * BigInt(specs.length)
    const weights = BigInt(specs.reduce((s, o) => s + o.weight, 0))
    const values = specs.map((o) => DUST_LIMIT + (rest * BigInt(o.weight)) / weights)
    values[values.length - 1]! += available - sum(values)
    return specs.map((o, i) => ({ to: o.to, value: values[i]! }))
  }

  /** Signs a spend of `inputs` (each by its owner's key); a unique lock time makes it new. */
  #build(
    inputs: readonly Coin[],
    outputs: readonly { to: number; value: bigint }[] | null,
    opts: { genesisHash?: Uint8Array } = {},
  ): Built | null {
    if (outputs === null) return null
    const signers = inputs.map((c) => this.#keys[c.owner % this.universe.keys]!)
    const unsigned: UnsignedTransaction = {
      version: 1,
      inputs: inputs.map((c, i) => ({ outpoint: c.outpoint, publicKey: signers[i]!.publicKey })),
      outputs: outputs.map((o) => ({ value: o.value as Amount, address: this.#payload(o.to) })),
      lockTime: this.#nonce++,
      payload: { type: 'none' },
    }
    return built(signCached(unsigned, signers, opts.genesisHash ?? GENESIS_HASH))
  }
}

const skipped: Outcome = { kind: 'skipped' }

function sameTxid(a: Txid, b: Txid): boolean {
  return txidToHex(a) === txidToHex(b)
}

/** Distinct items of `pool` at `picks` (mod its length), in pick order. */
function choose<T>(pool: readonly T[], picks: readonly number[]): T[] {
  if (pool.length === 0) return []
  return [...new Set(picks.map((p) => p % pool.length))].map((i) => pool[i]!)
}

function expectRemoved(t: Transition, expected: readonly Txid[]): void {
  const got = t.removed.map(txidToHex).sort()
  const want = expected.map(txidToHex).sort()
  if (got.join() !== want.join()) {
    throw new ModelViolation(`removed [${got}], expected [${want}]`)
  }
}

/** Applies every operation of `scenario` to a fresh driver. */
export async function runScenario(
  scenario: Scenario,
  hooks: {
    /** Called after each operation (and once before the first, with index -1). */
    readonly onStep?: (driver: LedgerDriver, index: number, outcome: Outcome | null) => unknown
  } = {},
): Promise<LedgerDriver> {
  const driver = LedgerDriver.create(scenario.universe)
  await hooks.onStep?.(driver, -1, null)
  for (const [i, op] of scenario.ops.entries()) {
    const outcome = await driver.apply(op)
    await hooks.onStep?.(driver, i, outcome)
  }
  return driver
}

// ── state dumps ─────────────────────────────────────────────────────────────

/** Plain data (hex strings for bytes, `123n` strings for bigints), for comparisons and diffs. */
export function plain(x: unknown): unknown {
  if (x instanceof Uint8Array) return bytesToHex(x)
  if (typeof x === 'bigint') return `${x}n`
  if (Array.isArray(x)) return x.map(plain)
  if (x !== null && typeof x === 'object') {
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]))
  }
  return x
}

export interface LedgerDump {
  readonly summary: unknown
  /** Every UTXO entry, by outpoint. */
  readonly utxos: readonly unknown[]
  /** Every mempool entry, by txid. */
  readonly mempool: readonly unknown[]
  readonly mempoolBytes: number
  /** [txid, certificate] for each of `txids` holding one. */
  readonly certificates: readonly (readonly [string, string])[]
}

/** The whole observable state of `ledger` (certificates looked up for `txids`). */
export function dumpLedger(ledger: Ledger, txids: readonly Txid[]): LedgerDump {
  const certificates: [string, string][] = []
  for (const txid of txids) {
    const c = ledger.certificate(txid)
    if (c !== undefined) certificates.push([txidToHex(txid), bytesToHex(c)])
  }
  return {
    summary: plain(ledger.summary()),
    utxos: [...ledger.utxos.entries()].sort(byHex((e) => outPointToString(e.outpoint))).map(plain),
    mempool: [...ledger.mempool.entries()].sort(byTxid).map(plain),
    mempoolBytes: ledger.mempool.bytes,
    certificates: certificates.sort(),
  }
}

/** `key=value` (hex) of every record `ledger` must have in its store, sorted as strings. */
export function ledgerStoreImage(ledger: Ledger, txids: readonly Txid[]): string[] {
  const out: string[] = []
  for (const e of ledger.utxos.entries()) {
    out.push(`${bytesToHex(utxoKey(e.outpoint))}=${bytesToHex(encodeUtxoRecord(e))}`)
  }
  for (const e of ledger.mempool.entries()) {
    out.push(`${bytesToHex(mempoolKey(e.txid))}=${bytesToHex(encodeMempoolRecord(e))}`)
  }
  for (const txid of txids) {
    const c = ledger.certificate(txid)
    if (c !== undefined) out.push(`${bytesToHex(certificateKey(txid))}=${bytesToHex(c)}`)
  }
  // The commitment accumulator, persisted with every batch that changes the set of live outputs:
  // there since the first output was created.
  if (ledger.utxos.size > 0) {
    out.push(`${bytesToHex(UTXO_COMMITMENT_KEY)}=${bytesToHex(ledger.utxos.commitmentState())}`)
  }
  return out.sort()
}

/** `key=value` (hex) of every entry of `store`, sorted as `ledgerStoreImage` sorts. */
export async function storeImage(store: Store): Promise<string[]> {
  const out: string[] = []
  for await (const [k, v] of store.iterate()) out.push(`${bytesToHex(k)}=${bytesToHex(v)}`)
  return out.sort()
}
