// Runs one scenario: builds the committee, genesis, honest and Byzantine masternodes and wallets
// on the seeded network, plays payments, double spends, partitions and crashes, then asks the
// oracle for safety violations and checks liveness and value conservation at every honest node.
import {
  type Amount,
  addressPayloadFromPublicKey,
  BLOCK_REWARD,
  COIN,
  Committee,
  type CommitteeMember,
  type ConsensusRules,
  equalBytes,
  getPublicKey,
  type KeyPair,
  type Message,
  SAFE_RULES,
  sha256,
  type Txid,
  type TxOutput,
  txidToHex,
  utf8ToBytes,
} from '../../../src/core/index.ts'
import { createSim } from '../harness.ts'
import type { NetEvent } from '../network.ts'
import type { MsRange } from '../regions.ts'
import { failWithSeed } from '../seed.ts'
import { ByzantineMasternode, omitCarried } from './byzantine.ts'
import { committeeProofFailures } from './committee-proofs.ts'
import { Forger, type ForgerCoin } from './forger.ts'
import { LockBreaker } from './lock-breaker.ts'
import { Oracle } from './oracle.ts'
import { Registrar } from './registrar.ts'
import { RelockBreaker } from './relock-breaker.ts'
import type { Scenario } from './scenario.ts'
import { SimMasternode } from './sim-masternode.ts'
import { SimWallet } from './sim-wallet.ts'
import { Slasher } from './slasher.ts'
import { installUnsafe } from './unsafe.ts'
import { messageWire } from './wire.ts'
import { SimWorld } from './world.ts'

export interface RunReport {
  readonly seed: string
  readonly nodes: number
  readonly totalWeight: number
  readonly byzantineWeight: number
  readonly behaviours: readonly string[]
  readonly violations: readonly string[]
  readonly liveness: readonly string[]
  readonly issued: number
  readonly conflicting: number
  /** Issued transactions spending a final, unconfirmed output (chained payments). */
  readonly chained: number
  readonly finalizedAtWallets: number
  /** Per honest masternode and transaction: first arrival at any masternode → final there (sim ms). */
  readonly latencies: readonly number[]
  readonly messages: number
  /** Wire mode: messages dropped because they had no wire encoding (none from honest nodes). */
  readonly unencodable: number
  readonly signatures: number
  readonly crashes: number
  /** Highest block height committed by an honest masternode. */
  readonly blocks: number
  /** Tip height of each honest masternode up at the end. */
  readonly tips: readonly number[]
  readonly simulatedMs: number
  /** Committees honest nodes entered after genesis. */
  readonly committeeChanges: number
  /** Registrations and deregistrations issued. */
  readonly registrations: number
  /** Slashing transactions issued (equivocators reported). */
  readonly slashings: number
}

/** The simulator's deliberately unsafe rules, one per scenario kind (SAFE_RULES otherwise). */
function rulesOf(unsafe: Scenario['unsafe']): ConsensusRules {
  switch (unsafe) {
    case null:
      return SAFE_RULES
    case 'half-threshold':
      // Half the weight instead of ⌊2W/3⌋ + 1: two halves can both certify.
      return { ...SAFE_RULES, quorum: (totalWeight) => Math.floor(totalWeight / 2) }
    case 'accept-conflicts':
      return { ...SAFE_RULES, acceptConflicts: true }
    case 'handoff-without-seals':
      return { ...SAFE_RULES, sealBeforeHandoff: false }
    case 'threshold-minus-one':
      // ⌊2W/3⌋: two quorums may overlap in exactly W/3, all of it Byzantine at the boundary.
      return { ...SAFE_RULES, quorum: (totalWeight) => Math.floor((2 * totalWeight) / 3) }
    case 'threshold-plus-one':
      // ⌊2W/3⌋ + 2: the honest weight alone may fall one short.
      return { ...SAFE_RULES, quorum: (totalWeight) => Math.floor((2 * totalWeight) / 3) + 2 }
    default:
      // Breakage outside the rules object: unsafe.ts and the simulator's own ports.
      return SAFE_RULES
  }
}

const GENESIS_HASH = sha256(utf8ToBytes('simulated network genesis'))
const GENESIS_TXID = sha256(utf8ToBytes('simulated allocations')) as Txid
const COINS_PER_WALLET = 4
/** The operator's coins: enough for a few registrations of any tier. */
const OPERATOR_COINS = 8
const OPERATOR_COIN = (150_000n * COIN) as Amount
/** Keys the cheap-registration attacker may register (Bronze each, no node behind them). */
const CHEAP_KEYS = 4
const MAX_EVENTS = 3_000_000

function keyOf(label: string): KeyPair {
  const secretKey = sha256(utf8ToBytes(label))
  return { secretKey, publicKey: getPublicKey(secretKey) }
}

export interface RunOptions {
  /** Sees every network event (for debugging a seed). */
  readonly trace?: (event: NetEvent<Message>) => void
  /** Runs once everything is built, before the first event (e.g. to install a message filter). */
  readonly setup?: (world: SimWorld) => void
  /** Sees the honest masternodes once they are booted (e.g. to sample their state). */
  readonly honest?: (nodes: readonly SimMasternode[], world: SimWorld) => void
  /** Network and timer events allowed before the run counts as stuck (default 3,000,000). */
  readonly maxEvents?: number
  /** With 'regions' latency: one-way access delay per node (default: the simulator's 1–10 ms). */
  readonly access?: MsRange
  /** With 'regions' latency: the regions to place nodes in (default: all usable ones). */
  readonly regions?: readonly string[]
  /** Latency of one durable (synced) write (default: SimWorld's 0.2–2 ms). */
  readonly diskSyncMs?: MsRange
  /**
   * Wire mode: every message between nodes is encoded when sent and decoded at delivery
   * (wire.ts), as a real transport carries it. On unless set false here or `SIM_WIRE=0` is in the
   * environment (nodes then share message objects: for comparing costs, never for safety).
   */
  readonly wire?: boolean
}

/** The report of a run that could not finish: a liveness failure, nothing else counted. */
export function unfinishedRun(s: Scenario, why: string): RunReport {
  return {
    seed: String(s.seed),
    nodes: s.weights.length,
    totalWeight: s.weights.reduce((a, w) => a + w, 0),
    byzantineWeight: s.weights.reduce((a, w, i) => a + (s.byzantine[i] ? w : 0), 0),
    behaviours: [],
    violations: [],
    liveness: [`unfinished: ${why}`],
    issued: 0,
    conflicting: 0,
    chained: 0,
    finalizedAtWallets: 0,
    latencies: [],
    messages: 0,
    unencodable: 0,
    signatures: 0,
    crashes: 0,
    blocks: 0,
    tips: [],
    simulatedMs: 0,
    committeeChanges: 0,
    registrations: 0,
    slashings: 0,
  }
}

/** Simulated time for enough one-a-minute retries to beat `loss` on both legs, w.p. 1 − 10⁻⁶. */
export function retryWindow(loss: number): number {
  if (loss <= 0) return 0
  const failure = 1 - (1 - loss) ** 2
  return 60_000 * (Math.ceil(Math.log(1e-6) / Math.log(failure)) + 2)
}

function wireMode(options: RunOptions): boolean {
  return options.wire ?? process.env.SIM_WIRE !== '0'
}

export async function runScenario(s: Scenario, options: RunOptions = {}): Promise<RunReport> {
  const restore = installUnsafe(s.unsafe)
  try {
    return await run(s, options)
  } finally {
    restore()
  }
}

async function run(s: Scenario, options: RunOptions): Promise<RunReport> {
  const n = s.weights.length
  const sim = createSim<Message>({
    seed: s.seed,
    nodes: n + s.wallets + s.standby + (s.standby > 0 ? 1 : 0),
    latency: s.latency,
    faults: s.faults,
    env: {},
    ...(wireMode(options) ? { wire: messageWire } : {}),
    ...(options.access === undefined ? {} : { access: options.access }),
    ...(options.regions === undefined ? {} : { regions: options.regions }),
  })
  if (options.trace) sim.network.observe(options.trace)
  const prng = sim.prng.fork('run')
  const mnKeys = s.weights.map((_, i) => keyOf(`sim masternode ${i}`))
  const members: CommitteeMember[] = mnKeys.map((k, i) => ({
    key: k.publicKey,
    weight: s.weights[i]!,
  }))
  const rules = rulesOf(s.unsafe)
  const committee = new Committee(0, members, rules.quorum)
  const oracle = new Oracle(committee)
  const world = new SimWorld({
    sim,
    genesisHash: GENESIS_HASH,
    committee,
    oracle,
    rules,
    unsafe: s.unsafe,
    ...(options.diskSyncMs === undefined ? {} : { diskSyncMs: options.diskSyncMs }),
    ...(s.mempool ? { mempool: s.mempool } : {}),
    ...(s.limits ? { limits: s.limits } : {}),
    ...(s.blocks
      ? {
          chain: {
            intervalMs: s.blocks.intervalMs,
            timeouts: { proposeMs: 1_000, prevoteMs: 500, precommitMs: 500, growthMs: 500 },
          },
        }
      : {}),
  })
  const walletKeys = Array.from({ length: s.wallets }, (_, w) => keyOf(`sim wallet ${w}`))
  const outputs: TxOutput[] = walletKeys.flatMap((k) =>
    Array.from({ length: COINS_PER_WALLET }, () => ({
      value: (100n * COIN) as Amount,
      address: addressPayloadFromPublicKey(k.publicKey),
    })),
  )
  const operatorKey = keyOf('sim operator')
  if (s.standby > 0) {
    for (let c = 0; c < OPERATOR_COINS; c++)
      outputs.push({
        value: OPERATOR_COIN,
        address: addressPayloadFromPublicKey(operatorKey.publicKey),
      })
  }
  // A forger spends a coin of its own twice (forger.ts).
  const forgerCoins = new Map<number, ForgerCoin>()
  for (const [i, b] of s.byzantine.entries()) {
    if (b !== 'forge') continue
    forgerCoins.set(i, { txid: GENESIS_TXID, vout: outputs.length, value: 100n * COIN })
    outputs.push({
      value: (100n * COIN) as Amount,
      address: addressPayloadFromPublicKey(mnKeys[i]!.publicKey),
    })
  }
  const genesisTotal = outputs.reduce((a, o) => a + o.value, 0n)

  const honest: SimMasternode[] = []
  const liars: SimMasternode[] = []
  for (let i = 0; i < n; i++) {
    const behaviour = s.byzantine[i]
    if (behaviour === 'omit-carried') {
      // The honest engine with one lie: byzantine, so left out of the honest nodes' checks.
      world.nameKey(i, mnKeys[i]!.publicKey)
      const liar = new SimMasternode(world, i, mnKeys[i]!)
      liar.tamper = omitCarried(mnKeys[i]!, GENESIS_HASH)
      liars.push(liar)
    } else if (behaviour === 'forge') {
      const attackAt = prng.intIn(1_000, 60_000)
      new Forger(world, i, mnKeys[i]!, forgerCoins.get(i)!, Math.min(attackAt, s.issueUntil))
    } else if (behaviour === 'lock-breaker') {
      new LockBreaker(world, i, mnKeys[i]!)
    } else if (behaviour === 'relock-breaker') {
      new RelockBreaker(world, i, mnKeys[i]!)
    } else if (behaviour) {
      new ByzantineMasternode(
        world,
        i,
        mnKeys[i]!,
        behaviour,
        s.issueUntil + prng.intIn(1_000, 60_000),
      )
    } else {
      world.nameKey(i, mnKeys[i]!.publicKey)
      honest.push(new SimMasternode(world, i, mnKeys[i]!))
    }
  }
  const standbyKeys = Array.from({ length: s.standby }, (_, i) => keyOf(`sim standby ${i}`))
  for (const [i, key] of standbyKeys.entries()) {
    const id = n + s.wallets + i
    world.nameKey(id, key.publicKey)
    honest.push(new SimMasternode(world, id, key))
  }
  for (const m of [...honest, ...liars]) await m.boot({ txid: GENESIS_TXID, outputs })
  for (const m of honest) {
    oracle.markHonest(m.key.publicKey, `mn${m.id}`)
    world.hosts.set(m.id, m)
  }

  const honestIds = honest.map((m) => m.id)
  const wallets: SimWallet[] = walletKeys.map((key, w) => {
    const id = n + w
    const peers =
      s.walletPeers === 1
        ? [prng.pick(honestIds)]
        : [
            ...new Set([
              prng.pick(honestIds),
              ...prng.shuffle([...Array(n).keys()]).slice(0, s.walletPeers - 1),
            ]),
          ]
    const wallet = new SimWallet(world, id, key, peers)
    for (let c = 0; c < COINS_PER_WALLET; c++) {
      wallet.coins.push({ txid: GENESIS_TXID, vout: w * COINS_PER_WALLET + c, value: 100n * COIN })
    }
    return wallet
  })

  let registrar: Registrar | null = null
  if (s.standby > 0) {
    const genesisHonest = honestIds.filter((id) => id < n)
    const operator = new SimWallet(world, n + s.wallets + s.standby, operatorKey, [
      ...new Set([prng.pick(genesisHonest), prng.pick(genesisHonest)]),
    ])
    const first = walletKeys.length * COINS_PER_WALLET
    for (let c = 0; c < OPERATOR_COINS; c++)
      operator.coins.push({ txid: GENESIS_TXID, vout: first + c, value: OPERATOR_COIN })
    const byzantineWeight = s.weights.reduce((a, w, i) => a + (s.byzantine[i] ? w : 0), 0)
    const cheap = s.cheapRegistrations
      ? Array.from({ length: CHEAP_KEYS }, (_, i) => keyOf(`sim cheap ${i}`))
      : []
    registrar = new Registrar(
      world,
      operator,
      standbyKeys,
      prng.fork('registrar'),
      { byzantine: byzantineWeight, total: committee.totalWeight },
      s.standbyTiers,
      cheap,
    )
    wallets.push(operator)
    if (s.handoffDoubleSpend) {
      const standbyIds = standbyKeys.map((_, i) => n + s.wallets + i)
      handoffDoubleSpend(world, wallets[0]!, wallets[1]!.address, [...Array(n).keys()], standbyIds)
    }
  }

  // Payments: recipients receive a payment's outputs once the payer sees it final, and may spend
  // them in later payments (chained payments of final, unconfirmed outputs).
  const payments = new Map<string, { from: SimWallet; to: SimWallet }>()
  const payers = wallets.slice(0, s.wallets)
  for (let p = 0; p < s.payments; p++) {
    sim.scheduler.at(prng.intIn(0, s.issueUntil), () => {
      const from = prng.pick(payers)
      const to = prng.pick(payers.filter((w) => w !== from))
      const tx = s.wholeCoinPayments
        ? from.payWhole(to.address)
        : from.pay(to.address, BigInt(prng.intIn(1, 20)) * COIN)
      if (tx !== null) payments.set(txidToHex(world.txidOf(tx)), { from, to })
    })
  }
  for (let d = 0; d < s.doubleSpends; d++) {
    sim.scheduler.at(prng.intIn(0, s.issueUntil), () => {
      const evil = prng.pick(payers)
      const order = prng.shuffle([...Array(n).keys()])
      const cut = Math.max(1, Math.floor(n / 2))
      evil.doubleSpend(
        prng.pick(payers).address,
        s.doubleSpendGroups ?? [order.slice(0, cut), order.slice(cut)],
      )
    })
  }
  // Deliver received coins as soon as the payer's wallet saw finality.
  for (const wallet of wallets) {
    wallet.onFinal = (id, tx, txid) => {
      const payment = payments.get(id)
      if (payment === undefined) return
      payments.delete(id)
      payment.to.receive(tx, txid)
    }
  }

  if (s.partition !== null) {
    const { groups, from, to } = s.partition
    sim.scheduler.at(from, () => sim.network.partition(groups, { healAt: to }))
  }
  const restarts = world.restarts
  for (const c of s.crashes) {
    const node = honest.find((m) => m.id === c.node)
    if (node === undefined) continue
    sim.scheduler.at(c.at, () => node.crash(c.midEvent))
    sim.scheduler.at(c.at + c.downFor, () => restarts.push(node.restart()))
  }

  world.wallets.push(...wallets)
  options.setup?.(world)
  options.honest?.(honest, world)
  const quietAfter = Math.max(
    s.issueUntil,
    s.partition?.to ?? 0,
    ...s.crashes.map((c) => c.at + c.downFor),
  )
  // Retries back off to one a minute; under loss give them enough attempts that a request and
  // its answer get through with probability 1 − 10⁻⁶ (a real wallet retries as long as it runs).
  const settle = Math.max(s.settle, retryWindow(s.faults.loss))
  const end = quietAfter + settle
  // Committee changes go on through the run; the last one leaves time to settle after it.
  registrar?.start(end - settle / 2)
  // With blocks, equivocators are reported and removed from the committee.
  const slasher = s.blocks === null ? null : new Slasher(world, payers.at(-1)!)
  slasher?.start(end - settle / 2)
  let events = 0
  const maxEvents = options.maxEvents ?? MAX_EVENTS
  for (;;) {
    const next = sim.scheduler.nextTime()
    if (next === undefined || next > end) break
    sim.scheduler.step()
    if (restarts.length > 0) await Promise.all(restarts.splice(0))
    if (++events > maxEvents) failWithSeed(s.seed, `more than ${maxEvents} events`)
  }

  const proofs = await committeeProofFailures(world, honest)
  return report(
    s,
    world,
    honest,
    wallets,
    genesisTotal,
    end,
    registrar?.issued ?? 0,
    slasher,
    proofs,
  )
}

/**
 * The owner of `wallet` spends one coin twice around the first handoff: to the outgoing members
 * as soon as one of them reports its locks (the seal is what keeps this spend out of the old
 * epoch), and the conflicting spend to the incoming members once the committee changed.
 */
function handoffDoubleSpend(
  world: SimWorld,
  wallet: SimWallet,
  to: Uint8Array,
  outgoing: readonly number[],
  incoming: readonly number[],
): void {
  const pair = wallet.conflictingPair(to)
  if (pair === null) return
  let stage = 0
  const stop = world.sim.network.observe((event) => {
    if (stage !== 0 || event.kind !== 'send' || event.msg.type !== 'LockReport') return
    stage = 1
    wallet.broadcast(pair[0], outgoing)
    const poll = () => {
      if (world.oracle.committeeChanges === 0)
        return void world.sim.timers(wallet.id).after(50, poll)
      wallet.broadcast(pair[1], incoming)
    }
    poll()
    stop()
  })
}

function report(
  s: Scenario,
  world: SimWorld,
  honest: readonly SimMasternode[],
  wallets: readonly SimWallet[],
  genesisTotal: bigint,
  end: number,
  registrations: number,
  slasher: Slasher | null,
  proofFailures: readonly string[],
): RunReport {
  const { oracle, committee } = world
  const conflicted = oracle.conflicted()
  // An honest node penalized by another is a misjudged message: reported with liveness failures.
  const liveness: string[] = [...proofFailures, ...world.oracle.wrongPenalties]
  const latencies: number[] = []
  const issued = wallets.flatMap((w) =>
    [...w.issued.entries()].map(([id, v]) => ({ id, ...v, wallet: w })),
  )
  for (const m of honest) {
    if (!m.up) continue
    const ledger = m.engine.ledger
    const summary = ledger.utxos.totals()
    if (!ledger.utxos.rescanMatches()) {
      liveness.push(`mn${m.id}: incremental UTXO count, total or commitment differs from a rescan`)
    }
    const fees = [...ledger.mempool.entries()]
      .filter((e) => e.status === 'finalized')
      .reduce((a, e) => a + e.fee, 0n)
    // Each block mints its reward; fees of confirmed transactions went to their proposers.
    const minted =
      BLOCK_REWARD * BigInt(m.engine.tip?.height ?? 0) + m.engine.registry.state.bountiesPaid
    if (summary.total + fees !== genesisTotal + minted) {
      liveness.push(
        `mn${m.id}: value not conserved (${summary.total} + fees ${fees} ≠ ${genesisTotal} + ${minted})`,
      )
    }
  }
  // Slashing evidence is judged by the committee of its epoch: a report still unconfirmed when
  // the network moved two epochs on is invalid from then on (the reporter was too late).
  const lastEpoch = Math.max(...oracle.committees.keys())
  const stale = new Set(
    (slasher?.reports ?? [])
      .filter((r) => r.epoch + 1 < lastEpoch)
      .map((r) => txidToHex(world.txidOf(r.tx))),
  )
  for (const t of issued) {
    if (conflicted.has(t.id) || stale.has(t.id)) continue
    if (!t.wallet.final.has(t.id)) liveness.push(`${t.id} never became final at its wallet`)
    for (const m of honest) {
      if (!m.up) continue
      const entry = m.engine.ledger.mempool.get(world.txidOf(t.tx))
      if (entry?.status === 'pending') {
        const states = t.tx.inputs
          .map((i) => m.engine.ledger.utxos.get(i.outpoint)?.state.kind)
          .join(',')
        liveness.push(
          `${t.id} still pending at mn${m.id} (inputs ${states}, accept weight ${m.engine.acceptWeight(entry.txid)} ` +
            `of ${m.engine.committee.threshold} in epoch ${m.engine.committee.epoch}, provable ` +
            `${oracle.acceptWeight(t.id, m.engine.committee.epoch)}, decision ${m.engine.decisionOf(entry.txid)?.kind ?? 'none'} ` +
            `epoch ${m.engine.decisionOf(entry.txid)?.epoch})`,
        )
      }
    }
  }
  for (const [id, at] of oracle.finalized) {
    const first = oracle.firstArrival.get(id)
    if (first === undefined) continue
    for (const [where, time] of at) if (where.startsWith('mn')) latencies.push(time - first)
  }
  const byzantineWeight = s.weights.reduce((a, w, i) => a + (s.byzantine[i] ? w : 0), 0)
  return {
    seed: String(s.seed),
    nodes: s.weights.length,
    totalWeight: committee.totalWeight,
    byzantineWeight,
    behaviours: s.byzantine.filter((b): b is NonNullable<typeof b> => b !== null),
    violations: oracle.violations(),
    liveness,
    issued: issued.length,
    conflicting: issued.filter((t) => conflicted.has(t.id)).length,
    chained: issued.filter((t) =>
      t.tx.inputs.some((i) => !equalBytes(i.outpoint.txid, GENESIS_TXID)),
    ).length,
    finalizedAtWallets: issued.filter((t) => t.wallet.final.has(t.id)).length,
    latencies,
    messages: world.sim.network.stats.sent,
    unencodable: world.sim.network.stats.dropped.unencodable,
    signatures: oracle.signatures,
    crashes: honest.reduce((a, m) => a + m.restarts, 0),
    blocks: oracle.height,
    tips: honest.filter((m) => m.up).map((m) => m.engine.tip?.height ?? 0),
    simulatedMs: end,
    committeeChanges: oracle.committeeChanges,
    slashings: slasher?.reports.length ?? 0,
    registrations,
  }
}
