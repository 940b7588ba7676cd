// A light wallet in the simulator: sends its payments to its masternode peers, re-asks with
// backoff (1 s … 60 s) until it holds a certificate, and builds certificates itself from the vote
// batches it receives — verifying everything against the committee, trusting no single peer. It
// spends only coins it has seen become final, so it never re-spends an unresolved input (honest
// wallets); a double-spending owner is a separate, deliberate behaviour.
import {
  type Amount,
  addressPayloadFromPublicKey,
  blockHash,
  checkBlockCertificate,
  checkCertificate,
  computeTxid,
  type Evidence,
  EvidenceCodec,
  equalBytes,
  type KeyPair,
  type Message,
  MIN_FEE,
  provePayload,
  type RegistrableTier,
  signTransaction,
  TIERS,
  type Transaction,
  type Txid,
  type TxOutput,
  txidToHex,
  VoteTally,
} from '../../../src/core/index.ts'
import type { NodeId } from '../network.ts'
import { preverifySync } from './sync-verifier.ts'
import type { SimWorld } from './world.ts'

export interface WalletCoin {
  readonly txid: Txid
  readonly vout: number
  readonly value: bigint
}

export class SimWallet {
  readonly id: NodeId
  readonly key: KeyPair
  readonly peers: readonly NodeId[]
  readonly coins: WalletCoin[] = []
  readonly issued = new Map<string, { tx: Transaction; at: number }>()
  readonly final = new Map<string, number>()
  /** Called once for each of its own transactions that becomes final here. */
  onFinal: ((id: string, tx: Transaction, txid: Txid) => void) | undefined
  readonly #world: SimWorld
  /** Vote tallies by epoch, against the committee of that epoch. */
  readonly #tallies = new Map<number, VoteTally>()
  /** Outputs that are not the wallet's to spend (the collateral of its registrations). */
  readonly #locked = new Set<string>()
  readonly #retry = new Map<string, number>()

  constructor(world: SimWorld, id: NodeId, key: KeyPair, peers: readonly NodeId[]) {
    this.#world = world
    this.id = id
    this.key = key
    this.peers = peers
    world.name(id, `wallet-${id}`)
    world.sim.network.register(id, this.deliver)
  }

  get address() {
    return addressPayloadFromPublicKey(this.key.publicKey)
  }

  /** Pays `value` to `to` from one final coin (change back to itself); false if it has none big enough. */
  pay(to: Uint8Array, value: bigint): Transaction | null {
    const index = this.coins.findIndex((c) => c.value >= value + MIN_FEE + 1_000n)
    if (index === -1) return null
    const [coin] = this.coins.splice(index, 1)
    const tx = this.#sign(coin!, [
      { value: value as Amount, address: to as TxOutput['address'] },
      { value: (coin!.value - value - MIN_FEE) as Amount, address: this.address },
    ])
    this.#send(tx, this.peers)
    return tx
  }

  /**
   * Pays one whole final coin, less the fee, to `to`: one input and one output, so coins neither
   * split nor merge and payments can go on for as long as a run lasts. Null if it has no coin.
   */
  payWhole(to: Uint8Array): Transaction | null {
    const index = this.coins.findIndex((c) => c.value >= 2n * MIN_FEE)
    if (index === -1) return null
    const [coin] = this.coins.splice(index, 1)
    const tx = this.#sign(coin!, [
      { value: (coin!.value - MIN_FEE) as Amount, address: to as TxOutput['address'] },
    ])
    this.#send(tx, this.peers)
    return tx
  }

  /**
   * A deliberate double spend: two transactions spending one coin, each sent to one half of the
   * peers at the same instant. Both coins are forfeited from the wallet's view.
   */
  doubleSpend(
    to: Uint8Array,
    halves: readonly [readonly NodeId[], readonly NodeId[]],
  ): [Transaction, Transaction] | null {
    const pair = this.conflictingPair(to)
    if (pair === null) return null
    this.broadcast(pair[0], halves[0])
    this.broadcast(pair[1], halves[1])
    return pair
  }

  /** Two signed transactions spending one coin (neither sent yet); the coin leaves the wallet. */
  conflictingPair(to: Uint8Array): [Transaction, Transaction] | null {
    const coin = this.coins.shift()
    if (coin === undefined || coin.value < 3n * MIN_FEE) return null
    const a = this.#sign(coin, [
      { value: (coin.value - MIN_FEE) as Amount, address: to as TxOutput['address'] },
    ])
    const b = this.#sign(coin, [
      { value: (coin.value - 2n * MIN_FEE) as Amount, address: this.address },
    ])
    return [a, b]
  }

  /** Sends one of its transactions to `peers` and keeps asking them until it is final. */
  broadcast(tx: Transaction, peers: readonly NodeId[]): void {
    this.#send(tx, peers)
  }

  readonly deliver = (_from: NodeId, message: Message): void => {
    if (
      message.type !== 'InstantFinalityVote' &&
      message.type !== 'FinalityCertificate' &&
      message.type !== 'BlockCommit'
    ) {
      return
    }
    if (preverifySync(message, this.#world.genesisHash) !== null) return
    if (message.type === 'BlockCommit') {
      // Older transactions are proven by inclusion in a certified block.
      const committee = this.#world.committeeOf(message.block.header.epoch)
      try {
        if (committee === undefined) return
        checkBlockCertificate(message.certificate, committee)
      } catch {
        return
      }
      if (!equalBytes(blockHash(message.block.header), message.certificate.blockHash)) return
      for (const tx of message.block.transactions) {
        const txid = this.#world.txidOf(tx)
        if (this.issued.has(txidToHex(txid))) this.#final(tx, txid)
      }
      return
    }
    if (message.type === 'InstantFinalityVote') {
      const tally = this.#tallyOf(message.batch.header.epoch)
      for (const txid of tally?.add(message.batch)?.accepted ?? []) {
        const cert = tally!.certificate(txid)
        const mine = this.issued.get(txidToHex(txid))
        if (cert !== null && mine !== undefined) this.#final(mine.tx, txid)
      }
      return
    }
    const txid = computeTxid(message.tx)
    const committee = this.#world.committeeOf(message.certificate.epoch)
    try {
      if (committee === undefined) return
      checkCertificate(message.certificate, committee)
    } catch {
      return
    }
    this.#final(message.tx, txid)
  }

  /**
   * Registers `masternode` at `tier` (collateral at vout 0, not the wallet's to spend from then
   * on) or, without a tier, deregisters it; paid from one final coin. Null if no coin is big enough.
   */
  special(masternode: KeyPair, tier?: RegistrableTier): Transaction | null {
    const collateral = (tier === undefined ? 0n : TIERS[tier].collateral) as Amount
    const index = this.coins.findIndex((c) => c.value >= collateral + MIN_FEE + 1_000n)
    if (index === -1) return null
    const [coin] = this.coins.splice(index, 1)
    const change = { value: (coin!.value - collateral - MIN_FEE) as Amount, address: this.address }
    const blank = new Uint8Array(64)
    const unsigned = provePayload(
      {
        version: 1,
        inputs: [
          { outpoint: { txid: coin!.txid, vout: coin!.vout }, publicKey: this.key.publicKey },
        ],
        outputs:
          tier === undefined ? [change] : [{ value: collateral, address: this.address }, change],
        lockTime: 0,
        payload:
          tier === undefined
            ? { type: 'deregister', masternodeKey: masternode.publicKey, proof: blank }
            : {
                type: 'register',
                tier,
                masternodeKey: masternode.publicKey,
                collateralVout: 0,
                proof: blank,
              },
      },
      masternode.secretKey,
      this.#world.genesisHash,
    )
    const tx = signTransaction(unsigned, [this.key.secretKey], this.#world.genesisHash)
    if (tier !== undefined) this.#locked.add(`${txidToHex(this.#world.txidOf(tx))}:0`)
    this.#send(tx, this.peers)
    return tx
  }

  /** Reports equivocation `evidence` in a slashing transaction (fee from one final coin). */
  slash(evidence: Evidence): Transaction | null {
    const index = this.coins.findIndex((c) => c.value >= MIN_FEE + 1_000n)
    if (index === -1) return null
    const [coin] = this.coins.splice(index, 1)
    const tx = signTransaction(
      {
        version: 1,
        inputs: [
          { outpoint: { txid: coin!.txid, vout: coin!.vout }, publicKey: this.key.publicKey },
        ],
        outputs: [{ value: (coin!.value - MIN_FEE) as Amount, address: this.address }],
        lockTime: 0,
        payload: {
          type: 'slash',
          evidence: EvidenceCodec.encode(evidence),
          reporter: this.address,
        },
      },
      [this.key.secretKey],
      this.#world.genesisHash,
    )
    this.#send(tx, this.peers)
    return tx
  }

  #tallyOf(epoch: number): VoteTally | undefined {
    let tally = this.#tallies.get(epoch)
    const committee = this.#world.committeeOf(epoch)
    if (tally === undefined && committee !== undefined) {
      tally = new VoteTally(committee)
      this.#tallies.set(epoch, tally)
    }
    return tally
  }

  #sign(coin: WalletCoin, outputs: TxOutput[]): Transaction {
    return signTransaction(
      {
        version: 1,
        inputs: [{ outpoint: { txid: coin.txid, vout: coin.vout }, publicKey: this.key.publicKey }],
        outputs,
        lockTime: 0,
        payload: { type: 'none' },
      },
      [this.key.secretKey],
      this.#world.genesisHash,
    )
  }

  #send(tx: Transaction, peers: readonly NodeId[]): void {
    const txid = this.#world.txidOf(tx)
    const id = txidToHex(txid)
    const now = this.#world.sim.scheduler.now()
    this.#world.oracle.recordTx(txid, tx)
    this.issued.set(id, { tx, at: now })
    for (const p of peers)
      this.#world.sim.network.send(this.id, p, { type: 'TransactionBroadcast', tx })
    this.#armRetry(id, tx, peers, 1_000)
  }

  #armRetry(id: string, tx: Transaction, peers: readonly NodeId[], delay: number): void {
    this.#retry.set(id, delay)
    this.#world.sim.timers(this.id).after(delay, () => {
      if (this.final.has(id)) return
      for (const p of peers)
        this.#world.sim.network.send(this.id, p, { type: 'InstantFinalityRequest', tx })
      this.#armRetry(id, tx, peers, Math.min(delay * 2, 60_000))
    })
  }

  #final(tx: Transaction, txid: Txid): void {
    const id = txidToHex(txid)
    if (this.final.has(id)) return
    this.final.set(id, this.#world.sim.scheduler.now())
    this.#world.oracle.recordFinalized(`wallet${this.id}`, txid, this.#world.sim.scheduler.now())
    this.onFinal?.(id, tx, txid)
    tx.outputs.forEach((o, vout) => {
      if (equalBytes(o.address, this.address) && !this.#locked.has(`${id}:${vout}`))
        this.coins.push({ txid, vout, value: o.value })
    })
  }

  /** Coins received from other wallets' final payments (the recipient side of a payment). */
  receive(tx: Transaction, txid: Txid): void {
    const id = txidToHex(txid)
    if (this.final.has(id) || this.issued.has(id)) return
    this.final.set(id, this.#world.sim.scheduler.now())
    tx.outputs.forEach((o, vout) => {
      if (equalBytes(o.address, this.address)) this.coins.push({ txid, vout, value: o.value })
    })
  }
}
