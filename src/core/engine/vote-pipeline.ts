/**
 * Group commit for votes. Decisions queue up; when no durable write is in flight, everything
 * queued is written in ONE synced batch together with the next sequence number, and only when
 * that write is durable is ONE batch signed over all of them. No timer: an idle node signs at
 * once, a busy node gathers while its write is in flight (persist before send, docs/ARCHITECTURE.md §3.2).
 * Each leaf keeps the epoch it was decided in: a batch is signed in one epoch, and a leaf of
 * another (the committee changed while its write was in flight) is handed back as stale.
 *
 * A queued leaf's ledger records (its locks, its mempool entry) were built when it was decided; a
 * write the engine makes meanwhile (a block confirming the same outputs, their finality, a prune)
 * lands first and carries newer values of the same records. `supersede` drops the queued ledger
 * ops on those keys, so the queued write never puts back a state the ledger has moved past (writes
 * apply in call order; the later one is newer). The leaf's own record — its decision or block
 * vote — is always written with it: nothing is signed before its record is durable. (So a block
 * vote still queued when a commit deletes the votes of its height writes its record after that
 * commit; restore reads only votes above the tip, so the record is inert. Dropping the queued
 * vote instead is wrong while a re-send of the same leaf, with no ops, waits behind it: the
 * simulator's persist-before-send oracle caught that on seed 538.)
 */

import { MAX_BATCH_LEAVES } from '../consensus/vote-batch.ts'
import type { VoteLeaf } from '../consensus/vote-leaf.ts'
import { Bucket } from '../storage/keys.ts'
import type { BatchOp } from '../storage/store.ts'
import { lastSeqOp } from './decision-store.ts'

/** The ledger's records, whose state a later write may have moved on (vote records are the leaf's). */
const LEDGER_BUCKETS: ReadonlySet<number> = new Set([
  Bucket.utxo,
  Bucket.mempool,
  Bucket.certificate,
])

interface Item {
  readonly leaf: VoteLeaf
  /** The epoch the leaf was decided in (its batch must be signed in it). */
  readonly epoch: number
  /** Store ops that must be durable before this leaf is signed (locks, the decision). */
  ops: readonly BatchOp[]
}

export interface PersistRequest {
  readonly id: number
  readonly ops: readonly BatchOp[]
}

export interface ReadyBatch {
  readonly seq: number
  readonly leaves: readonly VoteLeaf[]
  /** The epoch of each leaf, in order. */
  readonly epochs: readonly number[]
}

/** A store key as a string (char i = byte i), to index queued ledger records by key. */
function keyString(key: Uint8Array): string {
  return String.fromCharCode.apply(null, key as unknown as number[])
}

function isLedgerOp(op: BatchOp): boolean {
  return LEDGER_BUCKETS.has(op.key[0]!)
}

/**
 * A key's first four bytes after its bucket (a txid's, random), as a number: two keys with
 * different prints differ, so `supersede` builds the string of a key only when its print is queued.
 */
function keyPrint(key: Uint8Array): number {
  return (key[1]! | (key[2]! << 8) | (key[3]! << 16) | (key[4]! << 24)) ^ key[0]!
}

export class VotePipeline {
  #queue: Item[] = []
  /** How many queued (not in-flight) ops write each ledger key: `supersede` looks here first. */
  #queuedKeys = new Map<string, number>()
  /** The same counts by `keyPrint`: most ops of a write are on no queued key, and this says so
   * without building the key's string. */
  #queuedPrints = new Map<number, number>()
  #inFlight: { readonly id: number; readonly seq: number; readonly items: readonly Item[] } | null =
    null
  #lastSeq: number
  #nextId: () => number

  constructor(lastSeq: number, nextId: () => number) {
    this.#lastSeq = lastSeq
    this.#nextId = nextId
  }

  get lastSeq(): number {
    return this.#lastSeq
  }

  /** Leaves queued or in flight (each a decision or a block vote of this node). */
  get queued(): number {
    return this.#queue.length + (this.#inFlight?.items.length ?? 0)
  }

  /** Raises the sequence floor (a batch of ours with a higher seq was seen). */
  raiseSeq(seq: number): void {
    this.#lastSeq = Math.max(this.#lastSeq, seq)
  }

  /**
   * A write other than the pipeline's is about to be made with `ops`: queued ops on the same keys
   * are older and are dropped (the in-flight write was made before it, so it is left alone).
   */
  supersede(ops: readonly BatchOp[]): void {
    if (this.#queue.length === 0 || ops.length === 0) return
    const keys = new Set<string>()
    const prints = new Set<number>()
    for (const op of ops) {
      if (!isLedgerOp(op)) continue
      const print = keyPrint(op.key)
      if (!this.#queuedPrints.has(print)) continue
      const key = keyString(op.key)
      if (!this.#queuedKeys.has(key)) continue
      keys.add(key)
      prints.add(print)
    }
    if (keys.size === 0) return
    const stale = (op: BatchOp) =>
      isLedgerOp(op) && prints.has(keyPrint(op.key)) && keys.has(keyString(op.key))
    for (const item of this.#queue) {
      if (!item.ops.some(stale)) continue
      const ops: BatchOp[] = []
      for (const op of item.ops) {
        if (stale(op)) this.#count(op, -1)
        else ops.push(op)
      }
      item.ops = ops
    }
  }

  #count(op: BatchOp, delta: 1 | -1): void {
    if (!isLedgerOp(op)) return
    addCount(this.#queuedKeys, keyString(op.key), delta)
    addCount(this.#queuedPrints, keyPrint(op.key), delta)
  }

  /** Queues a leaf; returns the write to start if the pipeline was idle. */
  enqueue(leaf: VoteLeaf, ops: readonly BatchOp[], epoch: number): PersistRequest | null {
    this.#queue.push({ leaf, epoch, ops })
    // Idle with room: the write starts with the whole queue at once, so nothing stays to count.
    if (this.#inFlight === null && this.#queue.length <= MAX_BATCH_LEAVES) return this.#start()
    for (const op of ops) this.#count(op, 1)
    return this.#start()
  }

  /**
   * The write `id` is durable: returns the batch to sign now (or null if `id` is not ours) and
   * the next write to start, if leaves gathered meanwhile.
   */
  persisted(id: number): { ready: ReadyBatch; next: PersistRequest | null } | null {
    const f = this.#inFlight
    if (f === null || f.id !== id) return null
    this.#inFlight = null
    const ready = {
      seq: f.seq,
      leaves: f.items.map((i) => i.leaf),
      epochs: f.items.map((i) => i.epoch),
    }
    return { ready, next: this.#start() }
  }

  #start(): PersistRequest | null {
    if (this.#inFlight !== null || this.#queue.length === 0) return null
    const items = this.#queue.splice(0, MAX_BATCH_LEAVES)
    // The usual case takes the whole queue: then no queued op is left to count.
    if (this.#queue.length === 0) {
      this.#queuedKeys.clear()
      this.#queuedPrints.clear()
    } else {
      for (const item of items) for (const op of item.ops) this.#count(op, -1)
    }
    const seq = ++this.#lastSeq
    const id = this.#nextId()
    this.#inFlight = { id, seq, items }
    const ops: BatchOp[] = []
    for (const item of items) for (const op of item.ops) ops.push(op)
    ops.push(lastSeqOp(seq))
    return { id, ops }
  }
}

/** Adds `delta` to `key`'s count, removing the key at zero. */
function addCount<K>(counts: Map<K, number>, key: K, delta: number): void {
  const n = (counts.get(key) ?? 0) + delta
  if (n === 0) counts.delete(key)
  else counts.set(key, n)
}
