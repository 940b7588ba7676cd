/**
 * The node wallet (issue 11, point 3): keys derived from the wallet file's BIP39 seed
 * (src/core/wallet/keys.ts), its outputs read from the node's own ledger, coin selection and the
 * transactions it signs — payments, masternode registrations (the tier's collateral as output 0 of
 * the same transaction, proven by the masternode key) and deregistrations.
 *
 * Invariants: an output is offered to coin selection only when the ledger holds it `Unspent`, the
 * chain puts no restriction on it (collateral, carried, frozen), no mempool transaction spends it
 * and no transaction this wallet built and has not seen settle spends it (`#reserved`, released
 * when a submission fails) — so the wallet never signs two spends of one output, and never re-spends
 * the inputs of an unresolved transaction (DESIGN §4.6); every transaction pays at least MIN_FEE,
 * pays no output below dust, and carries at most MAX_WALLET_INPUTS inputs. Secret keys and the seed
 * stay in memory here; nothing is logged.
 */
import type { KeyPair } from '../../core/crypto/ed25519.ts'
import { bytesToHex } from '../../core/encoding/bytes.ts'
import { WalletError } from '../../core/errors.ts'
import type { MempoolEntry } from '../../core/ledger/mempool.ts'
import type { UtxoEntry, UtxoStateKind } from '../../core/ledger/utxo-state.ts'
import {
  type Address,
  type AddressPayload,
  addressPayloadFromPublicKey,
  encodeAddress,
} from '../../core/primitives/address.ts'
import { type Amount, DUST_LIMIT, formatAmount, MIN_FEE } from '../../core/primitives/amount.ts'
import type { NetworkName } from '../../core/primitives/network.ts'
import { type OutPoint, outPointToString } from '../../core/primitives/outpoint.ts'
import { provePayload } from '../../core/primitives/payload-signing.ts'
import { type RegistrableTier, TIER_CODES, TIERS } from '../../core/primitives/tier.ts'
import type {
  Transaction,
  TxOutput,
  UnsignedTransaction,
} from '../../core/primitives/transaction.ts'
import { signTransaction } from '../../core/primitives/transaction-signing.ts'
import type { Txid } from '../../core/primitives/txid.ts'
import { deriveKeyPair, mnemonicToSeed } from '../../core/wallet/keys.ts'
import { RpcError } from '../errors.ts'
import { saveWalletFile, type WalletFile } from './wallet-file.ts'

/** Inputs one wallet transaction may spend (each ~132 bytes of the 100,000-byte limit). */
export const MAX_WALLET_INPUTS = 500
/** The longest the wallet goes without reading the whole ledger again (ms). */
export const RESCAN_INTERVAL_MS = 60_000
/** Addresses one wallet hands out (each is a derived key held in memory). */
export const MAX_WALLET_ADDRESSES = 100_000

/** What the wallet reads from its node: the ledger's outputs, the mempool, the chain's rules. */
export interface WalletChainView {
  readonly network: NetworkName
  readonly genesisHash: Uint8Array
  /** Every output the ledger holds (live and spent-not-pruned), any order. */
  outputs(): Iterable<UtxoEntry>
  utxo(outpoint: OutPoint): UtxoEntry | undefined
  mempool(): Iterable<MempoolEntry>
  /** The mempool transaction spending `outpoint`, if any. */
  mempoolSpender(outpoint: OutPoint): Txid | undefined
  /** What the chain says about spending `outpoint` (registry.spendRule). */
  spendRule(outpoint: OutPoint): 'collateral' | 'frozen' | Txid | undefined
  tipHeight(): number
}

/** One of the wallet's outputs, with what the wallet may do with it. */
export interface WalletOutput {
  readonly outpoint: OutPoint
  readonly address: Address
  readonly value: Amount
  /**
   * The ledger's state, or `Pending` for an output of a mempool transaction not yet final
   * (the ledger creates outputs at finality).
   */
  readonly state: UtxoStateKind | 'Pending'
  /** Confirmed at this height (null while only final or pending). */
  readonly height: number | null
  readonly confirmations: number
  /** Locked by the chain as masternode collateral (or carried/frozen by a handoff). */
  readonly restricted: 'collateral' | 'frozen' | 'carried' | undefined
  readonly spendable: boolean
}

export interface WalletBalance {
  /** Final outputs coin selection may spend now. */
  readonly final: Amount
  /** Outputs of transactions paying this wallet that are not final yet. */
  readonly pending: Amount
  /** Final outputs not spendable now: collateral, or spent by a transaction still pending. */
  readonly locked: Amount
}

function insufficient(need: bigint, have: bigint): never {
  throw new WalletError(
    'WALLET_INSUFFICIENT_FUNDS',
    `insufficient funds: need ${formatAmount(need)} TIME (fee included), ${formatAmount(have)} TIME spendable`,
  )
}

export class NodeWallet {
  readonly #path: string
  readonly #view: WalletChainView
  readonly #seed: Uint8Array
  #file: WalletFile
  /** Address payload (hex) → key, for keys 0 … nextIndex − 1. */
  readonly #keys = new Map<string, KeyPair>()
  /** Inputs of transactions this wallet built, until the ledger shows them spent (or submit fails). */
  readonly #reserved = new Map<string, OutPoint>()
  /** File writes in order (nextIndex only grows). */
  #saving: Promise<void> = Promise.resolve()
  /**
   * Outputs paid to the wallet's keys (key: outpoint text), found by a scan of the ledger and
   * then from the engine's `utxoState` notifications (`observe`); the ledger stays the authority
   * on each one's state, and one it no longer holds is dropped. Bounded by the wallet's outputs.
   */
  readonly #owned = new Map<string, OutPoint>()
  /** When the ledger was last scanned whole (ms, `#clock`); -Infinity: never. */
  #scannedAt = Number.NEGATIVE_INFINITY
  readonly #clock: () => number

  /**
   * `imported`: keys held elsewhere whose outputs the wallet also spends (the node's masternode
   * key, which genesis funds); they are not derived from the seed and not written to the file.
   */
  constructor(
    path: string,
    file: WalletFile,
    view: WalletChainView,
    imported: readonly KeyPair[] = [],
    clock: () => number = () => performance.now(),
  ) {
    if (file.network !== view.network)
      throw new WalletError(
        'WALLET_FILE_INVALID',
        `a ${file.network} wallet on a ${view.network} node`,
      )
    this.#path = path
    this.#file = file
    this.#view = view
    this.#clock = clock
    this.#seed = mnemonicToSeed(file.mnemonic)
    for (let i = 0; i < file.nextIndex; i++) this.#addKey(i)
    for (const key of imported)
      this.#keys.set(bytesToHex(addressPayloadFromPublicKey(key.publicKey)), key)
  }

  get network(): NetworkName {
    return this.#view.network
  }

  /** Addresses handed out so far. */
  get size(): number {
    return this.#file.nextIndex
  }

  #addKey(index: number): KeyPair {
    const key = deriveKeyPair(this.#seed, this.#file.account, index)
    this.#keys.set(bytesToHex(addressPayloadFromPublicKey(key.publicKey)), key)
    return key
  }

  /** A new receiving address (key nextIndex), recorded in the file before it is answered. */
  async newAddress(): Promise<Address> {
    if (this.#file.nextIndex >= MAX_WALLET_ADDRESSES)
      throw new RpcError(
        'RPC_INVALID_PARAMETER',
        `this wallet has handed out its ${MAX_WALLET_ADDRESSES} addresses`,
      )
    const index = this.#file.nextIndex
    this.#file = { ...this.#file, nextIndex: index + 1 }
    const key = this.#addKey(index)
    const file = this.#file
    // A failed write fails this call only; the next one writes the count again.
    this.#saving = this.#saving.catch(() => {}).then(() => saveWalletFile(this.#path, file))
    await this.#saving
    return encodeAddress(addressPayloadFromPublicKey(key.publicKey), this.network)
  }

  /** Whether an address payload is one of this wallet's. */
  owns(payload: Uint8Array): boolean {
    return this.#keys.has(bytesToHex(payload))
  }

  /** An output the engine created or moved: remembered when it pays one of the wallet's keys. */
  observe(change: { readonly outpoint: OutPoint; readonly output: TxOutput }): void {
    if (this.owns(change.output.address))
      this.#owned.set(outPointToString(change.outpoint), change.outpoint)
  }

  /**
   * The whole ledger read for the wallet's outputs: at the first use, then at most once every
   * RESCAN_INTERVAL_MS (a safety net for outputs that arrived without a notification, as a
   * snapshot sync loads them); in between, notifications keep `#owned` current at no cost.
   */
  #scan(): void {
    const now = this.#clock()
    if (now - this.#scannedAt < RESCAN_INTERVAL_MS) return
    this.#scannedAt = now
    for (const e of this.#view.outputs())
      if (this.owns(e.output.address)) this.#owned.set(outPointToString(e.outpoint), e.outpoint)
  }

  /** The wallet's outputs: final ones from the ledger (spent ones left out), then pending ones. */
  outputs(): WalletOutput[] {
    const view = this.#view
    const tip = view.tipHeight()
    const out: WalletOutput[] = []
    const settled: string[] = []
    this.#scan()
    for (const [key, outpoint] of this.#owned) {
      const e = view.utxo(outpoint)
      if (e === undefined) {
        this.#owned.delete(key)
        continue
      }
      const kind = e.state.kind
      // States only move forward: a finally spent output is never the wallet's to spend again.
      if (kind === 'SpentFinalized' || kind === 'Confirmed') {
        this.#owned.delete(key)
        continue
      }
      const id = outPointToString(e.outpoint)
      if (kind !== 'Unspent' && this.#reserved.has(id)) settled.push(id)
      const rule = view.spendRule(e.outpoint)
      const restricted =
        rule === undefined
          ? undefined
          : rule === 'collateral' || rule === 'frozen'
            ? rule
            : ('carried' as const)
      const spendable =
        kind === 'Unspent' &&
        restricted === undefined &&
        !this.#reserved.has(id) &&
        view.mempoolSpender(e.outpoint) === undefined
      out.push({
        outpoint: e.outpoint,
        address: encodeAddress(e.output.address, this.network),
        value: e.output.value,
        state: kind,
        height: e.height,
        confirmations: e.height === null ? 0 : tip - e.height + 1,
        restricted,
        spendable,
      })
    }
    // The ledger moved these on: the reservation has done its work.
    for (const id of settled) this.#reserved.delete(id)
    for (const m of view.mempool()) {
      if (m.status !== 'pending') continue
      m.tx.outputs.forEach((o, vout) => {
        if (!this.owns(o.address)) return
        const outpoint = { txid: m.txid, vout }
        if (view.utxo(outpoint) !== undefined) return
        out.push({
          outpoint,
          address: encodeAddress(o.address, this.network),
          value: o.value,
          state: 'Pending',
          height: null,
          confirmations: 0,
          restricted: undefined,
          spendable: false,
        })
      })
    }
    return out
  }

  balance(): WalletBalance {
    let final = 0n
    let pending = 0n
    let locked = 0n
    for (const o of this.outputs()) {
      if (o.state === 'Pending') pending += o.value
      else if (o.spendable) final += o.value
      else locked += o.value
    }
    return { final: final as Amount, pending: pending as Amount, locked: locked as Amount }
  }

  /** The change address: key 0 (made on first use). */
  async #changeAddress(): Promise<AddressPayload> {
    if (this.#file.nextIndex === 0) await this.newAddress()
    return addressPayloadFromPublicKey(this.#key(0).publicKey)
  }

  #key(index: number): KeyPair {
    const key = deriveKeyPair(this.#seed, this.#file.account, index)
    if (!this.owns(addressPayloadFromPublicKey(key.publicKey)))
      throw new WalletError('WALLET_KEY_UNKNOWN', `key ${index} has not been handed out`)
    return key
  }

  /**
   * Inputs worth at least `target` (largest first, at most MAX_WALLET_INPUTS) and their keys.
   * Synchronous: no other build can take the same outputs in between.
   */
  #select(target: bigint): { coins: WalletOutput[]; total: bigint } {
    const candidates = this.outputs()
      .filter((o) => o.spendable)
      .sort((a, b) => (a.value === b.value ? 0 : a.value > b.value ? -1 : 1))
    const coins: WalletOutput[] = []
    let total = 0n
    for (const c of candidates) {
      if (total >= target || coins.length >= MAX_WALLET_INPUTS) break
      coins.push(c)
      total += c.value
    }
    if (total < target)
      insufficient(
        target,
        candidates.reduce((s, c) => s + c.value, 0n),
      )
    return { coins, total }
  }

  /**
   * Builds and signs a transaction paying `outputs` (and `payload`, proven by `prover` when it
   * is a registration or deregistration) from the wallet's outputs, the change back to the
   * wallet, fee MIN_FEE; `subtractFeeFrom`: that output pays the fee instead. Its inputs are
   * reserved until `release` or until the ledger shows them spent.
   */
  async build(
    outputs: readonly TxOutput[],
    options: {
      readonly payload?: UnsignedTransaction['payload']
      readonly prover?: KeyPair
      readonly subtractFeeFrom?: number
    } = {},
  ): Promise<Transaction> {
    const change = await this.#changeAddress()
    const fee = MIN_FEE
    const paid = outputs.reduce((s, o) => s + o.value, 0n)
    const shaved = options.subtractFeeFrom
    const payOut = outputs.map((o, i) =>
      i === shaved ? { ...o, value: (o.value - fee) as Amount } : o,
    )
    for (const o of payOut)
      if (o.value < DUST_LIMIT)
        throw new RpcError(
          'RPC_INVALID_PARAMETER',
          `an output of ${formatAmount(o.value)} TIME is below dust (${formatAmount(DUST_LIMIT)} TIME)${shaved === undefined ? '' : ' once the fee is taken from it'}`,
        )
    const target = shaved === undefined ? paid + fee : paid
    const { coins, total } = this.#select(target)
    const rest = total - target
    const finalOutputs: TxOutput[] = [...payOut]
    // Change below dust goes to the fee rather than to an output the ledger would refuse.
    if (rest >= DUST_LIMIT) finalOutputs.push({ value: rest as Amount, address: change })
    const keys = coins.map((c) => this.#keyOf(c))
    let unsigned: UnsignedTransaction = {
      version: 1,
      inputs: coins.map((c, i) => ({ outpoint: c.outpoint, publicKey: keys[i]!.publicKey })),
      outputs: finalOutputs,
      lockTime: 0,
      payload: options.payload ?? { type: 'none' },
    }
    if (unsigned.payload.type === 'register' || unsigned.payload.type === 'deregister') {
      if (options.prover === undefined)
        throw new WalletError('WALLET_KEY_UNKNOWN', 'no masternode key to prove the payload with')
      unsigned = provePayload(unsigned, options.prover.secretKey, this.#view.genesisHash)
    }
    const tx = signTransaction(
      unsigned,
      keys.map((k) => k.secretKey),
      this.#view.genesisHash,
    )
    for (const c of coins) this.#reserved.set(outPointToString(c.outpoint), c.outpoint)
    return tx
  }

  #keyOf(o: WalletOutput): KeyPair {
    const entry = this.#view.utxo(o.outpoint)
    const key = entry === undefined ? undefined : this.#keys.get(bytesToHex(entry.output.address))
    if (key === undefined)
      throw new WalletError(
        'WALLET_KEY_UNKNOWN',
        `output ${outPointToString(o.outpoint)} is not the wallet's`,
      )
    return key
  }

  /** A registration of `masternode` at `tier`: the collateral (to the wallet) is output 0. */
  async buildRegistration(tier: RegistrableTier, masternode: KeyPair): Promise<Transaction> {
    const collateral = { value: TIERS[tier].collateral, address: await this.#changeAddress() }
    return this.build([collateral], {
      payload: {
        type: 'register',
        tier,
        masternodeKey: masternode.publicKey,
        collateralVout: 0,
        proof: new Uint8Array(64),
      },
      prover: masternode,
    })
  }

  /** A deregistration of `masternode`: the fee from the wallet, the change back to it. */
  async buildDeregistration(masternode: KeyPair): Promise<Transaction> {
    return this.build([], {
      payload: {
        type: 'deregister',
        masternodeKey: masternode.publicKey,
        proof: new Uint8Array(64),
      },
      prover: masternode,
    })
  }

  /** Frees the inputs of a transaction the node did not take. */
  release(tx: Transaction): void {
    for (const i of tx.inputs) this.#reserved.delete(outPointToString(i.outpoint))
  }
}

/** The registrable tier named `text` (bronze, silver, gold), or undefined. */
export function tierNamed(text: string): RegistrableTier | undefined {
  const t = text.toLowerCase()
  return Object.hasOwn(TIER_CODES, t) ? (t as RegistrableTier) : undefined
}
