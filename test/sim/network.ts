// A simulated message network over the virtual clock, generic in the message type. Every
// message is accounted for: sent + duplicated = delivered + dropped + in flight + held. A crashed
// node sends and receives nothing, and nothing sent to an earlier incarnation reaches a later one.
// In wire mode every message between two nodes travels as bytes: encoded when sent, decoded anew
// at each delivery, so no receiver ever holds the sender's objects (or another receiver's).
import {
  checkFaults,
  type DropReason,
  type LinkFaults,
  type MessageFilter,
  NO_FAULTS,
  type PartitionMode,
  type PartitionOptions,
} from './faults.ts'
import type { LatencyModel } from './latency.ts'
import type { Prng } from './prng.ts'
import type { Scheduler, Time, TimerHandle } from './scheduler.ts'
import { failWithSeed } from './seed.ts'

export type NodeId = number

export type Deliver<M> = (from: NodeId, msg: M) => void

/** The wire encoding of the messages: what a real transport would carry. */
export interface WireCodec<M> {
  /** Throws for a message that has no encoding (it is dropped as `unencodable`). */
  encode(msg: M): Uint8Array
  decode(bytes: Uint8Array): M
}

export interface NetworkStats {
  readonly sent: number
  readonly delivered: number
  readonly duplicated: number
  /** Messages held at a partition (cumulative). */
  readonly held: number
  readonly dropped: Readonly<Record<DropReason, number>>
}

interface Packet<M> {
  readonly from: NodeId
  readonly to: NodeId
  /** The message as sent (observers see it); a receiver in wire mode gets it decoded from `bytes`. */
  readonly msg: M
  /** Wire mode: the encoding, decoded at each delivery. */
  readonly bytes: Uint8Array | undefined
  readonly sentAt: Time
  /** The receiver's incarnation when sent; a restart makes the packet undeliverable. */
  readonly incarnation: number
}

export type NetEvent<M> =
  | (Packet<M> & { readonly kind: 'send' | 'deliver' | 'hold'; readonly time: Time })
  | (Packet<M> & { readonly kind: 'drop'; readonly time: Time; readonly reason: DropReason })

interface NodeState<M> {
  deliver: Deliver<M> | undefined
  incarnation: number
}

interface Partition {
  readonly group: ReadonlyMap<NodeId, number>
  readonly mode: PartitionMode
}

export interface SimNetworkOptions<M = unknown> {
  readonly scheduler: Scheduler
  /** Parent stream; each directed link draws from its own fork of it. */
  readonly prng: Prng
  readonly latency: LatencyModel
  readonly faults?: Partial<LinkFaults>
  /** Per-link first-in first-out delivery, as on one stream; off by default. */
  readonly fifo?: boolean
  /** Wire mode: messages between nodes travel encoded (a node's messages to itself do not). */
  readonly wire?: WireCodec<M>
}

export class SimNetwork<M> {
  readonly #scheduler: Scheduler
  readonly #prng: Prng
  readonly #latency: LatencyModel
  readonly #fifo: boolean
  readonly #wire: WireCodec<M> | undefined
  readonly #nodes = new Map<NodeId, NodeState<M>>()
  readonly #linkPrng = new Map<number, Prng>()
  readonly #linkFaults = new Map<string, Partial<LinkFaults>>()
  readonly #lastArrival = new Map<string, Time>()
  readonly #listeners = new Set<(event: NetEvent<M>) => void>()
  #faults: LinkFaults
  #filter: MessageFilter<M> | undefined
  #partition: Partition | undefined
  #heal: TimerHandle | undefined
  #held: Packet<M>[] = []
  #inFlight = 0
  #sent = 0
  #delivered = 0
  #duplicated = 0
  #heldTotal = 0
  readonly #dropped: Record<DropReason, number> = {
    loss: 0,
    partition: 0,
    filter: 0,
    'sender-down': 0,
    'receiver-down': 0,
    'unknown-node': 0,
    unencodable: 0,
  }

  constructor(options: SimNetworkOptions<M>) {
    this.#scheduler = options.scheduler
    this.#prng = options.prng
    this.#latency = options.latency
    this.#fifo = options.fifo ?? false
    this.#wire = options.wire
    checkFaults(options.faults ?? {})
    this.#faults = { ...NO_FAULTS, ...options.faults }
  }

  // ── membership ────────────────────────────────────────────────────────────

  register(id: NodeId, deliver: Deliver<M>): void {
    if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`node id ${id}`)
    if (this.#nodes.has(id)) throw new Error(`node ${id} is already registered; use restart`)
    this.#nodes.set(id, { deliver, incarnation: 0 })
  }

  /** The node stops: in-flight messages to it are lost, and it can send nothing. */
  crash(id: NodeId): void {
    const node = this.#node(id)
    node.deliver = undefined
    node.incarnation++
  }

  restart(id: NodeId, deliver: Deliver<M>): void {
    const node = this.#node(id)
    if (node.deliver !== undefined) throw new Error(`node ${id} is running; crash it first`)
    node.deliver = deliver
  }

  isUp(id: NodeId): boolean {
    return this.#nodes.get(id)?.deliver !== undefined
  }

  /** Registered nodes, ascending. */
  nodes(): NodeId[] {
    return [...this.#nodes.keys()].sort((a, b) => a - b)
  }

  // ── faults ────────────────────────────────────────────────────────────────

  get faults(): LinkFaults {
    return this.#faults
  }

  /** Changes the network-wide faults; takes effect for messages sent from now on. */
  setFaults(faults: Partial<LinkFaults>): void {
    checkFaults(faults)
    this.#faults = { ...this.#faults, ...faults }
  }

  /**
   * Overrides faults on the directed link from → to, over the network-wide ones
   * (`{ loss: 1 }` cuts it); `undefined` removes the override.
   */
  setLinkFaults(from: NodeId, to: NodeId, faults: Partial<LinkFaults> | undefined): void {
    if (faults === undefined) {
      this.#linkFaults.delete(`${from}->${to}`)
      return
    }
    checkFaults(faults)
    this.#linkFaults.set(`${from}->${to}`, faults)
  }

  linkFaults(from: NodeId, to: NodeId): LinkFaults {
    const override =
      this.#linkFaults.size === 0 ? undefined : this.#linkFaults.get(`${from}->${to}`)
    return override === undefined ? this.#faults : { ...this.#faults, ...override }
  }

  setFilter(filter: MessageFilter<M> | undefined): void {
    this.#filter = filter
  }

  /**
   * Splits the nodes into groups; nodes listed in no group form one more group together.
   * Replaces any current partition. Checked when a message arrives, so one sent just before a
   * heal still gets through.
   */
  partition(groups: readonly (readonly NodeId[])[], options: PartitionOptions = {}): void {
    const group = new Map<NodeId, number>()
    for (const [g, members] of groups.entries()) {
      for (const id of members) {
        if (group.has(id)) throw new Error(`node ${id} is in two partition groups`)
        group.set(id, g)
      }
    }
    this.#heal?.cancel()
    this.#heal = undefined
    this.#partition = { group, mode: options.mode ?? 'drop' }
    // Cancelled by a later partition() or heal(), so it never heals a newer partition.
    if (options.healAt !== undefined)
      this.#heal = this.#scheduler.at(options.healAt, () => this.heal())
  }

  /** Ends the partition and re-sends every held message with a fresh delay. */
  heal(): void {
    this.#heal?.cancel()
    this.#heal = undefined
    this.#partition = undefined
    const held = this.#held
    this.#held = []
    for (const packet of held) {
      this.#schedule(packet, this.#delay(packet, this.linkFaults(packet.from, packet.to)))
    }
  }

  /** True when a partition stops messages from `a` reaching `b`. */
  separated(a: NodeId, b: NodeId): boolean {
    const p = this.#partition
    return p !== undefined && (p.group.get(a) ?? -1) !== (p.group.get(b) ?? -1)
  }

  // ── traffic ───────────────────────────────────────────────────────────────

  send(from: NodeId, to: NodeId, msg: M): void {
    const target = this.#nodes.get(to)
    let bytes: Uint8Array | undefined
    let unencodable = false
    if (this.#wire !== undefined && from !== to) {
      try {
        bytes = this.#wire.encode(msg)
      } catch {
        unencodable = true
      }
    }
    const packet: Packet<M> = {
      from,
      to,
      msg,
      bytes,
      sentAt: this.#scheduler.now(),
      incarnation: target?.incarnation ?? 0,
    }
    this.#sent++
    this.#emit('send', packet)
    if (unencodable) {
      this.#drop(packet, 'unencodable')
      return
    }
    if (!this.isUp(from)) {
      this.#drop(packet, 'sender-down')
      return
    }
    if (target === undefined) {
      this.#drop(packet, 'unknown-node')
      return
    }
    if (target.deliver === undefined) {
      this.#drop(packet, 'receiver-down')
      return
    }
    // A node's message to itself never leaves the machine.
    if (from === to) {
      this.#schedule(packet, 0)
      return
    }

    let extra = 0
    const verdict = this.#filter?.(from, to, msg) ?? 'deliver'
    if (verdict === 'drop') {
      this.#drop(packet, 'filter')
      return
    }
    if (typeof verdict === 'number') {
      if (!(verdict >= 0 && Number.isFinite(verdict))) {
        failWithSeed(this.#scheduler.seed, `message filter returned delay ${verdict}`)
      }
      extra = verdict
    }
    const faults = this.linkFaults(from, to)
    const prng = this.#link(from, to)
    if (prng.chance(faults.loss)) {
      this.#drop(packet, 'loss')
      return
    }
    this.#schedule(packet, extra + this.#delay(packet, faults))
    if (prng.chance(faults.duplicate)) {
      this.#duplicated++
      this.#schedule(packet, extra + this.#delay(packet, faults))
    }
  }

  // ── accounting ────────────────────────────────────────────────────────────

  get stats(): NetworkStats {
    return {
      sent: this.#sent,
      delivered: this.#delivered,
      duplicated: this.#duplicated,
      held: this.#heldTotal,
      dropped: { ...this.#dropped },
    }
  }

  /** Messages scheduled to arrive. */
  get inFlight(): number {
    return this.#inFlight
  }

  /** Messages waiting at a partition boundary. */
  get heldNow(): number {
    return this.#held.length
  }

  /** Fails with the seed unless sent + duplicated = delivered + dropped + in flight + held. */
  checkAccounting(): void {
    const dropped = Object.values(this.#dropped).reduce((a, b) => a + b, 0)
    const out = this.#delivered + dropped + this.#inFlight + this.#held.length
    if (this.#sent + this.#duplicated !== out) {
      failWithSeed(
        this.#scheduler.seed,
        `network accounting: sent ${this.#sent} + duplicated ${this.#duplicated} ≠ ${out} accounted`,
      )
    }
  }

  /** Sees every send, delivery, hold and drop; returns an unsubscribe function. */
  observe(listener: (event: NetEvent<M>) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  // ── internals ─────────────────────────────────────────────────────────────

  #node(id: NodeId): NodeState<M> {
    const node = this.#nodes.get(id)
    if (node === undefined) throw new Error(`node ${id} is not registered`)
    return node
  }

  #link(from: NodeId, to: NodeId): Prng {
    const id = from * 1_000_003 + to
    let prng = this.#linkPrng.get(id)
    if (prng === undefined) {
      prng = this.#prng.fork(`link ${from}->${to}`)
      this.#linkPrng.set(id, prng)
    }
    return prng
  }

  #delay(packet: Packet<M>, faults: LinkFaults): number {
    const prng = this.#link(packet.from, packet.to)
    const base = this.#latency.base(packet.from, packet.to)
    const jitter = this.#latency.jitter(base, prng)
    const reorder = prng.chance(faults.reorder) ? prng.range(0, faults.reorderMaxMs) : 0
    return base + jitter + reorder + faults.extraDelayMs
  }

  #schedule(packet: Packet<M>, delay: number): void {
    let arrival = this.#scheduler.now() + delay
    if (this.#fifo) {
      const key = `${packet.from}->${packet.to}`
      arrival = Math.max(arrival, this.#lastArrival.get(key) ?? 0)
      this.#lastArrival.set(key, arrival)
    }
    this.#inFlight++
    this.#scheduler.at(arrival, () => this.#arrive(packet))
  }

  #arrive(packet: Packet<M>): void {
    this.#inFlight--
    const node = this.#nodes.get(packet.to)
    if (node?.deliver === undefined || node.incarnation !== packet.incarnation) {
      this.#drop(packet, 'receiver-down')
      return
    }
    if (packet.from !== packet.to && this.separated(packet.from, packet.to)) {
      if (this.#partition?.mode === 'hold') {
        this.#held.push(packet)
        this.#heldTotal++
        this.#emit('hold', packet)
        return
      }
      this.#drop(packet, 'partition')
      return
    }
    const msg = packet.bytes === undefined ? packet.msg : this.#decode(packet.bytes)
    this.#delivered++
    this.#emit('deliver', packet, msg)
    node.deliver(packet.from, msg)
  }

  /** What the wire carried, read back: a failure is a codec bug (what encodes must decode). */
  #decode(bytes: Uint8Array): M {
    try {
      return this.#wire!.decode(bytes)
    } catch (e) {
      failWithSeed(this.#scheduler.seed, `wire mode: an encoded message does not decode: ${e}`)
    }
  }

  #drop(packet: Packet<M>, reason: DropReason): void {
    this.#dropped[reason]++
    if (this.#listeners.size > 0) {
      const event: NetEvent<M> = { ...packet, kind: 'drop', time: this.#scheduler.now(), reason }
      for (const l of this.#listeners) l(event)
    }
  }

  #emit(kind: 'send' | 'deliver' | 'hold', packet: Packet<M>, msg: M = packet.msg): void {
    if (this.#listeners.size === 0) return
    const event: NetEvent<M> = { ...packet, msg, kind, time: this.#scheduler.now() }
    for (const l of this.#listeners) l(event)
  }
}
