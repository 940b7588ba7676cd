/**
 * Which outputs pay to which address, for the wallet protocol. The ledger keeps its UTXO set by
 * outpoint only; rather than grow the ledger (and its persisted layout, and the hot path of every
 * masternode, wallets served or not), the wallet service keeps this index beside it: built by one
 * scan of the UTXO set at start, then fed by the engine's `utxoState` notifications, which name
 * every output a transition creates or moves. The ledger prunes spent outputs without a
 * notification, so an index entry whose output is gone is dropped when it is next read, and the
 * whole index is swept once it holds a quarter more entries than the UTXO set.
 *
 * An `AddressView` is a subscribed address as its wallets see it: its outputs with the states last
 * pushed, and the status hash over them (docs/PROTOCOL.md §19.5). Pushes change the view one output
 * at a time, so each notification carries the status after exactly that change — the status a
 * wallet that applied every push computes for itself.
 *
 * Invariants: the index holds every output of the UTXO set (and, until swept, some pruned ones),
 * each under the address it pays; a view's outputs are the address's outputs in the ledger with
 * the states pushed so far; its status is `addressStatus` of them, recomputed only after a change.
 */
import { bytesToHex } from '../../encoding/bytes.ts'
import { outPointKey } from '../../ledger/map-keys.ts'
import type { UtxoSet } from '../../ledger/utxo-set.ts'
import type { AddressPayload } from '../../primitives/address.ts'
import { type OutPoint, OutPointCodec } from '../../primitives/outpoint.ts'
import type { TxOutput } from '../../primitives/transaction.ts'
import { addressStatus, type WalletUtxoState, walletUtxoState } from '../../protocol/utxo-proofs.ts'

/** Slack before a sweep: the index may hold this many (and a quarter) more entries than the set. */
const SWEEP_SLACK = 1_024

export class AddressIndex {
  /** Address (hex) → outputs paying it, by the ledger's outpoint key. */
  readonly #byAddress = new Map<string, Map<string, OutPoint>>()
  readonly #utxos: UtxoSet
  #entries = 0

  /** Indexes every output `utxos` holds now. */
  constructor(utxos: UtxoSet) {
    this.#utxos = utxos
    for (const entry of utxos.entries()) this.add(entry.output.address, entry.outpoint)
  }

  /** Outputs indexed (the UTXO set's, and pruned ones not yet dropped). */
  get size(): number {
    return this.#entries
  }

  /** Addresses with at least one indexed output. */
  get addresses(): number {
    return this.#byAddress.size
  }

  add(address: AddressPayload, outpoint: OutPoint): void {
    const hex = bytesToHex(address)
    let outputs = this.#byAddress.get(hex)
    if (outputs === undefined) {
      outputs = new Map()
      this.#byAddress.set(hex, outputs)
    }
    const key = outPointKey(outpoint)
    if (outputs.has(key)) return
    outputs.set(key, outpoint)
    this.#entries++
  }

  /** The outputs of `address` (hex) the UTXO set holds, dropping pruned ones on the way. */
  outputsOf(hex: string): { outpoint: OutPoint; output: TxOutput; state: WalletUtxoState }[] {
    const outputs = this.#byAddress.get(hex)
    if (outputs === undefined) return []
    const out: { outpoint: OutPoint; output: TxOutput; state: WalletUtxoState }[] = []
    for (const [key, outpoint] of outputs) {
      const entry = this.#utxos.get(outpoint)
      if (entry === undefined) {
        outputs.delete(key)
        this.#entries--
        continue
      }
      out.push({
        outpoint: entry.outpoint,
        output: entry.output,
        state: walletUtxoState(entry.state),
      })
    }
    if (outputs.size === 0) this.#byAddress.delete(hex)
    return out
  }

  /** Drops pruned outputs once the index outgrows the UTXO set by a quarter (amortized O(1)). */
  sweepIfLarge(): boolean {
    if (this.#entries <= this.#utxos.size * 1.25 + SWEEP_SLACK) return false
    for (const [hex, outputs] of this.#byAddress) {
      for (const [key, outpoint] of outputs)
        if (this.#utxos.get(outpoint) === undefined) {
          outputs.delete(key)
          this.#entries--
        }
      if (outputs.size === 0) this.#byAddress.delete(hex)
    }
    return true
  }
}

/** One output of a view. */
export interface ViewOutput {
  readonly outpoint: OutPoint
  readonly output: TxOutput
  readonly state: WalletUtxoState
}

/** A subscribed address: its outputs with the states pushed, and the wallets watching it. */
export class AddressView<S = unknown> {
  readonly address: AddressPayload
  readonly hex: string
  /** The wallet sessions subscribed to this address. */
  readonly subscribers = new Set<S>()
  /** Outputs by their 36-byte encoding in hex, which sorts as the protocol orders outputs. */
  readonly #outputs = new Map<string, ViewOutput>()
  #sorted: string[] | null = null
  #status: Uint8Array | null = null
  /** Changes applied: a snapshot with an older version is stale. */
  #version = 0

  constructor(address: AddressPayload, outputs: readonly ViewOutput[]) {
    this.address = address
    this.hex = bytesToHex(address)
    for (const o of outputs) this.#outputs.set(sortKey(o.outpoint), o)
  }

  get size(): number {
    return this.#outputs.size
  }

  get version(): number {
    return this.#version
  }

  /** Sets one output's state (a new output, or a new state of one held). */
  apply(output: ViewOutput): void {
    const key = sortKey(output.outpoint)
    if (!this.#outputs.has(key)) this.#sorted = null
    this.#outputs.set(key, output)
    this.#status = null
    this.#version++
  }

  /** Drops outputs the ledger no longer holds (pruned: spent and confirmed long ago). */
  prune(held: (outpoint: OutPoint) => boolean): number {
    let dropped = 0
    for (const [key, o] of this.#outputs)
      if (o.state.kind === 'Confirmed' && !held(o.outpoint)) {
        this.#outputs.delete(key)
        dropped++
      }
    if (dropped > 0) {
      this.#sorted = null
      this.#status = null
      this.#version++
    }
    return dropped
  }

  status(): Uint8Array {
    this.#status ??= addressStatus([...this.#outputs.values()])
    return this.#status
  }

  /** Outputs `from` … `from + count − 1` in outpoint order. */
  page(from: number, count: number): ViewOutput[] {
    this.#sorted ??= [...this.#outputs.keys()].sort()
    return this.#sorted.slice(from, from + count).map((k) => this.#outputs.get(k)!)
  }
}

function sortKey(outpoint: OutPoint): string {
  return bytesToHex(OutPointCodec.encode(outpoint))
}
