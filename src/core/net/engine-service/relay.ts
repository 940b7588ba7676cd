/**
 * The engine service's direct paths to peers outside the committee (docs/ARCHITECTURE.md §7):
 * routes other services add (gossip takes the blocks the engine gives its followers), and the
 * `tx` protocol to a masternode this node has no link to (a full node passing a wallet's
 * transaction on). A rotating Bloom filter marks what was already relayed: a vote batch sent to a
 * non-member, a transaction handed to a masternode, so the same one is not relayed there again
 * while it is remembered (DESIGN §5). A vote batch whose timestamp is outside the age limit the
 * filter remembers (`message_max_age_seconds`, the defence layer's `withinRelayAge`) is not relayed
 * at all: the filter could not tell it was relayed before.
 *
 * Invariants: the filter only ever skips a relay, never decides validity, and forgets within
 * `relayFilter.maxAgeMs × generations`; a transaction is marked only once it reached the
 * masternode (a failed relay is tried again on the engine's next request); at most
 * `maxTxRelays` relays in flight (beyond, a relay is dropped and counted — the engine re-sends);
 * at most MAX_ROUTES added routes.
 */
import type { Connection, PeerId } from '@libp2p/interface'
import { concatBytes, fromHex, utf8ToBytes } from '../../encoding/bytes.ts'
import type { PeerId as EnginePeerId, Message } from '../../engine/messages.ts'
import type { NetworkName } from '../../primitives/network.ts'
import { computeTxid } from '../../primitives/transaction.ts'
import { withinRelayAge } from '../defence/relay-age.ts'
import { RotatingBloomFilter } from '../rotating-bloom.ts'

/** A route another service offers: true when it took the message. */
export type Route = (to: EnginePeerId, message: Message) => boolean

/** Routes added at once (gossip, the wallet protocol, …): a few, set by code. */
export const MAX_ROUTES = 8
/** `tx` relays in flight at once. */
export const DEFAULT_MAX_TX_RELAYS = 64

export interface RelayFilterSettings {
  /** Relays remembered per generation (default 32,768). */
  readonly capacity: number
  /** Default 1e-4: one relay in ten thousand skipped for nothing. */
  readonly falsePositiveRate: number
  /** A generation's span (default 300 s, `message_max_age_seconds`): two are kept. */
  readonly maxAgeMs: number
}

export const DEFAULT_RELAY_FILTER: RelayFilterSettings = {
  capacity: 32_768,
  falsePositiveRate: 1e-4,
  maxAgeMs: 300_000,
}

export interface RelayStats {
  /** Relays the filter skipped (already relayed). */
  readonly relaySkips: number
  /** Vote batches not relayed: their timestamp was outside the age limit. */
  readonly relayStale: number
  readonly txRelayed: number
  readonly txRelayFailures: number
  /** `tx` relays dropped because `maxTxRelays` were in flight. */
  readonly txRelayDrops: number
  readonly filterBytes: number
}

/** What a `tx` relay needs of the host: the connection proven to be masternode `key`. */
export type MasternodeConnection = (key: Uint8Array) => Connection | undefined

/** Sends `tx` over the `tx` protocol on `connection` (engine-service's `relayTransaction`). */
export type SendTransaction = (
  connection: Pick<Connection, 'newStream'>,
  network: NetworkName,
  tx: Extract<Message, { type: 'TransactionBroadcast' }>['tx'],
) => Promise<void>

/** The engine's name for a masternode: its key in lowercase hex. */
const MASTERNODE_NAME = /^[0-9a-f]{64}$/

const VOTE = Uint8Array.of(0x03)
const TX = Uint8Array.of(0x01)

export class Relays {
  readonly #routes: Route[] = []
  readonly #filter: RotatingBloomFilter
  readonly #clock: () => number
  readonly #maxTxRelays: number
  /** The relay age limit: the filter's span (`message_max_age_seconds`). */
  readonly #maxAgeSeconds: number
  #inFlight = 0
  #skips = 0
  #stale = 0
  #txRelayed = 0
  #txFailures = 0
  #txDrops = 0

  constructor(options: {
    readonly clock: () => number
    readonly seed: Uint8Array
    readonly filter?: Partial<RelayFilterSettings>
    readonly maxTxRelays?: number
  }) {
    this.#clock = options.clock
    this.#maxTxRelays = options.maxTxRelays ?? DEFAULT_MAX_TX_RELAYS
    const filter = { ...DEFAULT_RELAY_FILTER, ...options.filter }
    this.#maxAgeSeconds = filter.maxAgeMs / 1000
    this.#filter = new RotatingBloomFilter({ ...filter, seed: options.seed })
  }

  addRoute(route: Route): () => void {
    if (this.#routes.length >= MAX_ROUTES)
      throw new RangeError(`more than ${MAX_ROUTES} routes added to the engine service`)
    this.#routes.push(route)
    return () => {
      const i = this.#routes.indexOf(route)
      if (i !== -1) this.#routes.splice(i, 1)
    }
  }

  /** Offers `message` to the added routes; true when one took it. */
  route(to: EnginePeerId, message: Message): boolean {
    for (const route of this.#routes) if (route(to, message)) return true
    return false
  }

  /**
   * Whether `message` for non-member `to` goes out: a vote batch already relayed to it, or
   * stamped outside the relay age limit (by the runtime clock, which stamps batches), is skipped
   * (and counted); every other message goes.
   */
  firstRelay(to: EnginePeerId, message: Message): boolean {
    if (message.type !== 'InstantFinalityVote') return true
    if (!withinRelayAge(this.#clock(), message.batch.header.timestamp, this.#maxAgeSeconds)) {
      this.#stale++
      return false
    }
    const key = concatBytes(VOTE, utf8ToBytes(to), message.batch.signature)
    if (this.#filter.addIfNew(key, this.#clock())) return true
    this.#skips++
    return false
  }

  /**
   * A transaction for masternode `to` that no link reaches: handed over the `tx` protocol on the
   * connection that proved the key, unless already relayed there. False when there is none (or
   * the message is no transaction): the caller tries other ways.
   */
  relayTransaction(
    to: EnginePeerId,
    message: Message,
    network: NetworkName,
    connectionOf: MasternodeConnection,
    send: SendTransaction,
  ): boolean {
    if (message.type !== 'TransactionBroadcast' && message.type !== 'InstantFinalityRequest')
      return false
    if (!MASTERNODE_NAME.test(to)) return false
    const keyBytes = fromHex(to, 32)
    const connection = connectionOf(keyBytes)
    if (connection === undefined) return false
    const mark = concatBytes(TX, keyBytes, computeTxid(message.tx))
    if (this.#filter.has(mark, this.#clock())) {
      this.#skips++
      return true
    }
    if (this.#inFlight >= this.#maxTxRelays) {
      this.#txDrops++
      return true
    }
    this.#inFlight++
    send(connection, network, message.tx).then(
      () => {
        this.#inFlight--
        this.#txRelayed++
        this.#filter.add(mark, this.#clock())
      },
      () => {
        this.#inFlight--
        this.#txFailures++
      },
    )
    return true
  }

  stats(): RelayStats {
    return {
      relaySkips: this.#skips,
      relayStale: this.#stale,
      txRelayed: this.#txRelayed,
      txRelayFailures: this.#txFailures,
      txRelayDrops: this.#txDrops,
      filterBytes: this.#filter.bytes,
    }
  }
}

/** The open connection on which masternode `key` proved itself, if any. */
export function masternodeConnection(
  peerOfMasternode: (key: Uint8Array) => { peerId: PeerId; connectionId: string } | undefined,
  getConnections: (peer: PeerId) => Connection[],
): MasternodeConnection {
  return (key) => {
    const peer = peerOfMasternode(key)
    if (peer === undefined) return undefined
    return getConnections(peer.peerId).find(
      (c) => c.id === peer.connectionId && c.status === 'open',
    )
  }
}
