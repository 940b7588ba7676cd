// The fault vocabulary of the simulated network: what can happen to a message on a link, why
// one was dropped, and how a partition treats messages across it. Probabilities lie in [0, 1].
import type { NodeId } from './network.ts'
import type { Time } from './scheduler.ts'

/** 'deliver', 'drop', or a number of extra milliseconds to delay the message by. */
export type FilterVerdict = 'deliver' | 'drop' | number

/** Adversary hook, consulted once per message at send time (not for a node's sends to itself). */
export type MessageFilter<M> = (from: NodeId, to: NodeId, msg: M) => FilterVerdict

export type DropReason =
  | 'loss'
  | 'partition'
  | 'filter'
  | 'sender-down'
  | 'receiver-down'
  | 'unknown-node'
  /** Wire mode: the message has no wire encoding (an object no real peer could send). */
  | 'unencodable'

export interface LinkFaults {
  /** Probability a message is lost. */
  readonly loss: number
  /** Probability a second copy is sent, with its own independent delay. */
  readonly duplicate: number
  /** Probability a message gets an extra delay uniform in [0, reorderMaxMs). */
  readonly reorder: number
  readonly reorderMaxMs: number
  /** Added to every message: a slow link. */
  readonly extraDelayMs: number
}

export const NO_FAULTS: LinkFaults = {
  loss: 0,
  duplicate: 0,
  reorder: 0,
  reorderMaxMs: 100,
  extraDelayMs: 0,
}

/**
 * 'drop': a message arriving across the partition is lost. 'hold': it waits at the boundary and
 * is re-sent when the partition heals, like a stream retransmitting over a restored route.
 */
export type PartitionMode = 'drop' | 'hold'

export interface PartitionOptions {
  readonly healAt?: Time
  readonly mode?: PartitionMode
}

export function checkFaults(f: Partial<LinkFaults>): void {
  for (const key of ['loss', 'duplicate', 'reorder'] as const) {
    const p = f[key]
    if (p !== undefined && !(p >= 0 && p <= 1)) throw new RangeError(`${key} must be in [0, 1]`)
  }
  for (const key of ['reorderMaxMs', 'extraDelayMs'] as const) {
    const ms = f[key]
    if (ms !== undefined && !(ms >= 0 && Number.isFinite(ms))) throw new RangeError(`${key} ${ms}`)
  }
}
