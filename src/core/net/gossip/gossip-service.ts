/**
 * Gossip for nodes that follow the chain without voting (docs/PROTOCOL.md §22.3, DESIGN §5): over
 * gossipsub topics (gossip-topics.ts), masternodes publish each transaction they saw final, with
 * its certificate, and each block they committed, with its certificate; every subscriber checks a
 * message before gossipsub passes it on — an asynchronous topic validator that decodes it with
 * the topic's codec and verifies its certificate and signatures against the committee of its
 * epoch — and answers accept, ignore or reject. Reject costs the peer that sent it (the
 * `PenaltySink` with the error's action); ignore — a duplicate, a message this node cannot judge
 * (an epoch or height it has not reached), a peer not handshaken — costs nothing. What is
 * accepted goes into this node's engine through the engine service (the same runtime as the
 * links), a block ahead of the next height waits in a small buffer until its turn. A copy of one
 * of this node's recent blocks is passed on once too (a member that got the block by its link,
 * not by gossip, still relays it to the full nodes behind it).
 *
 * Invariants: only handshaken masternodes and full nodes are listened to; the engine gets a
 * message only after its validator accepted it; one certificate per transaction and one copy per
 * block is accepted or published while the relay filter remembers it (the others are ignored:
 * gossipsub does not pass them on); at most `maxEarlyBlocks` blocks wait; every validator call
 * ends (the handshake wait is bounded); nothing is published or delivered after `stop()`.
 * Gossipsub runs on masternodes and full nodes only — never in a browser.
 */
import type { PeerId, Startable } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'
import { blockHash, bodyMatchesHeader } from '../../consensus/block.ts'
import { checkBlockCertificate } from '../../consensus/block-certificate.ts'
import { checkCertificate } from '../../consensus/certificate.ts'
import { entriesSignatureBundle } from '../../consensus/quorum-proof.ts'
import { assertVerdicts, type SignatureBundle } from '../../crypto/signature-bundle.ts'
import { concatBytes, equalBytes } from '../../encoding/bytes.ts'
import type { FinalityEngine } from '../../engine/finality-engine.ts'
import type { PeerId as EnginePeerId, Message } from '../../engine/messages.ts'
import { messageBundle } from '../../engine/preverify.ts'
import type { Notification } from '../../engine/runtime.ts'
import { ConsensusError, PeerAction, TimeCoinError } from '../../errors.ts'
import type { NetworkName } from '../../primitives/network.ts'
import { computeTxid, type Transaction } from '../../primitives/transaction.ts'
import type { Txid } from '../../primitives/txid.ts'
import { GOSSIP_TOPICS, type GossipTopicKey, gossipTopic } from '../../protocol/gossip-topics.ts'
import { PeerRole } from '../../protocol/handshake.ts'
import { relayable } from '../defence/relay-age.ts'
import type { EngineService } from '../engine-service/engine-service.ts'
import { DEFAULT_RELAY_FILTER, type RelayFilterSettings } from '../engine-service/relay.ts'
import type { HandshakeService } from '../handshake/handshake-service.ts'
import type { VerifiedPeer } from '../handshake/verified-peers.ts'
import { RotatingBloomFilter } from '../rotating-bloom.ts'

/** A validator's answer, as gossipsub spells `TopicValidatorResult`. */
export const TopicVerdict = {
  /** Valid: delivered here and passed on. */
  Accept: 'accept',
  /** Not passed on, at no cost: a duplicate, or nothing this node can judge yet. */
  Ignore: 'ignore',
  /** Invalid: not passed on, and it costs the peer that sent it. */
  Reject: 'reject',
} as const
export type TopicVerdict = (typeof TopicVerdict)[keyof typeof TopicVerdict]

export interface PubSubMessage {
  readonly topic: string
  readonly data: Uint8Array
}

export type TopicValidator = (
  peer: PeerId,
  message: PubSubMessage,
) => TopicVerdict | Promise<TopicVerdict>

/** What the service uses of gossipsub (the Node host's `pubsub`, `@libp2p/gossipsub`). */
export interface PubSub {
  readonly topicValidators: Map<string, TopicValidator>
  subscribe(topic: string): void
  unsubscribe(topic: string): void
  publish(topic: string, data: Uint8Array): Promise<unknown>
}

/**
 * The engine's name for the gossip layer among its followers: a masternode opens its engine with
 * `followers: [GOSSIP_FOLLOWER]`, and every block it commits is handed here to publish.
 */
export const GOSSIP_FOLLOWER: EnginePeerId = 'gossip:blocks'

/** Blocks beyond the next height kept until their turn. */
export const DEFAULT_MAX_EARLY_BLOCKS = 32
/** The relay age limit, `message_max_age_seconds` (DESIGN §5). */
const DEFAULT_MAX_AGE_S = DEFAULT_RELAY_FILTER.maxAgeMs / 1000
/** Blocks this node committed that it still passes on when a copy arrives by gossip. */
export const RECENT_BLOCKS = 16
/** How long a validator waits for the sender's handshake before it ignores the message. */
export const DEFAULT_HANDSHAKE_WAIT_MS = 5_000

export interface GossipComponents {
  /** The host's gossipsub (the Node host's `pubsub`; never a browser's). */
  pubsub?: PubSub
  handshake: Pick<HandshakeService, 'verified' | 'peer'>
  connectionManager: Pick<ConnectionManager, 'getConnections'>
  engine: Pick<
    EngineService,
    'runtime' | 'verifier' | 'penalties' | 'deliver' | 'addRoute' | 'onNotification'
  >
}

export interface GossipInit {
  readonly network: NetworkName
  readonly genesisHash: Uint8Array
  /** Publish final transactions and committed blocks (masternodes); default false. */
  readonly publish?: boolean
  readonly maxEarlyBlocks?: number
  readonly handshakeWaitMs?: number
  /** What was published or accepted, remembered (default: the engine service's relay filter). */
  readonly relayFilter?: Partial<RelayFilterSettings>
  /**
   * The engine's clock in milliseconds (default `Date.now`): the relay filter's generations, and
   * the relay age limit a certificate's newest vote must be in — voters stamp their batches with
   * their engine clock, so across nodes this is wall time (the daemon's engines run on it).
   */
  readonly clock?: () => number
  /** The relay age limit (`message_max_age_seconds`, default 300). */
  readonly messageMaxAgeSeconds?: number
}

export interface GossipStats {
  readonly published: number
  readonly publishErrors: number
  readonly accepted: number
  readonly ignored: number
  readonly rejected: number
  /** Messages from peers that were not (yet) handshaken, ignored. */
  readonly unverified: number
  /** Certificates whose newest vote is outside the relay age limit, ignored. */
  readonly stale: number
  /** Blocks accepted ahead of the next height and kept for later. */
  readonly early: number
  readonly earlyDropped: number
  readonly delivered: number
}

type FinalityMessage = Extract<Message, { type: 'FinalityCertificate' }>
type CommitMessage = Extract<Message, { type: 'BlockCommit' }>

const TX_MARK = Uint8Array.of(0x04)
const BLOCK_MARK = Uint8Array.of(0x08)

/**
 * Whether `tx` is final here: known and final, or — known no longer, once a block confirmed it —
 * its first input spent by it, final or confirmed.
 */
function finalHere(engine: FinalityEngine, tx: Transaction, txid: Txid): boolean {
  if (engine.isFinal(txid)) return true
  const first = tx.inputs[0]
  const state = first === undefined ? undefined : engine.ledger.utxos.get(first.outpoint)?.state
  return (
    state !== undefined &&
    (state.kind === 'SpentFinalized' || state.kind === 'Confirmed') &&
    equalBytes(state.txid, txid)
  )
}

function asTyped(error: unknown): TimeCoinError {
  if (error instanceof TimeCoinError) return error
  throw error
}

export class GossipService implements Startable {
  readonly [Symbol.toStringTag] = '@timecoin/gossip'
  /** Topic string → which topic. */
  readonly topics: ReadonlyMap<string, GossipTopicKey>
  readonly #components: GossipComponents
  readonly #init: GossipInit
  readonly #filter: RotatingBloomFilter
  readonly #clock: () => number
  readonly #maxEarly: number
  /** Accepted blocks above the next height, by height (≤ maxEarlyBlocks). */
  readonly #early = new Map<number, { peer: PeerId; message: CommitMessage }>()
  /** Hashes of the blocks this node committed lately, by height (≤ RECENT_BLOCKS). */
  readonly #recent = new Map<number, Uint8Array>()
  #undo: (() => void)[] = []
  #started = false
  #published = 0
  #publishErrors = 0
  #accepted = 0
  #ignored = 0
  #rejected = 0
  #unverified = 0
  #stale = 0
  #earlyCount = 0
  #earlyDropped = 0
  #delivered = 0

  constructor(components: GossipComponents, init: GossipInit) {
    this.#components = components
    this.#init = init
    this.topics = new Map(
      (Object.keys(GOSSIP_TOPICS) as GossipTopicKey[]).map((k) => [
        gossipTopic(init.network, k),
        k,
      ]),
    )
    this.#clock = init.clock ?? Date.now
    this.#maxEarly = init.maxEarlyBlocks ?? DEFAULT_MAX_EARLY_BLOCKS
    this.#filter = new RotatingBloomFilter({
      ...DEFAULT_RELAY_FILTER,
      ...init.relayFilter,
      seed: crypto.getRandomValues(new Uint8Array(16)),
    })
  }

  async start(): Promise<void> {
    const pubsub = this.#pubsub()
    for (const topic of this.topics.keys()) pubsub.topicValidators.set(topic, this.#validate)
  }

  /** Subscribes (gossipsub has started by now) and hooks into the engine service. */
  afterStart(): void {
    const pubsub = this.#pubsub()
    for (const topic of this.topics.keys()) pubsub.subscribe(topic)
    const { engine } = this.#components
    const tip = engine.runtime.engine.tip
    if (tip !== undefined) this.#recent.set(tip.height, tip.hash)
    this.#undo.push(engine.onNotification(this.#onNotification))
    if (this.#init.publish === true) this.#undo.push(engine.addRoute(this.#route))
    this.#started = true
  }

  /** Unsubscribes while gossipsub still runs (services stop together). */
  beforeStop(): void {
    this.#started = false
    for (const undo of this.#undo.splice(0)) undo()
    this.#early.clear()
    const pubsub = this.#pubsub()
    for (const topic of this.topics.keys()) {
      if (pubsub.topicValidators.get(topic) === this.#validate) pubsub.topicValidators.delete(topic)
      try {
        pubsub.unsubscribe(topic)
      } catch {
        // gossipsub stopped first (a failed start): nothing to leave.
      }
    }
  }

  async stop(): Promise<void> {
    this.beforeStop()
  }

  stats(): GossipStats {
    return {
      published: this.#published,
      publishErrors: this.#publishErrors,
      accepted: this.#accepted,
      ignored: this.#ignored,
      rejected: this.#rejected,
      unverified: this.#unverified,
      stale: this.#stale,
      early: this.#earlyCount,
      earlyDropped: this.#earlyDropped,
      delivered: this.#delivered,
    }
  }

  /** The host's gossipsub; a host without one cannot run this service. */
  #pubsub(): PubSub {
    const pubsub = this.#components.pubsub
    if (pubsub === undefined) throw new Error('gossip needs the host to run gossipsub as `pubsub`')
    return pubsub
  }

  // ── publishing ──

  readonly #onNotification = (n: Notification): void => {
    if (!this.#started) return
    if (n.type === 'finalized' && this.#init.publish === true) {
      const message = { type: 'FinalityCertificate' as const, tx: n.tx, certificate: n.certificate }
      this.#publish('tx', concatBytes(TX_MARK, n.txid), () =>
        GOSSIP_TOPICS.tx.codec.encode(message),
      )
    } else if (n.type === 'committed') {
      this.#recent.set(n.height, n.hash)
      this.#recent.delete(n.height - RECENT_BLOCKS)
      this.#deliverEarly()
    }
  }

  /** The engine hands the blocks it commits to its followers: this one publishes them. */
  readonly #route = (to: EnginePeerId, message: Message): boolean => {
    if (to !== GOSSIP_FOLLOWER || message.type !== 'BlockCommit') return false
    if (this.#started)
      this.#publish('block', concatBytes(BLOCK_MARK, message.certificate.blockHash), () =>
        GOSSIP_TOPICS.block.codec.encode(message),
      )
    return true
  }

  /** Publishes unless this transaction or block (`mark`) was already published or accepted here. */
  #publish(key: GossipTopicKey, mark: Uint8Array, encode: () => Uint8Array): void {
    if (!this.#filter.addIfNew(mark, this.#clock())) return
    let data: Uint8Array
    try {
      data = encode()
    } catch {
      this.#publishErrors++
      return
    }
    this.#published++
    this.#pubsub()
      .publish(gossipTopic(this.#init.network, key), data)
      .catch(() => {
        this.#publishErrors++
      })
  }

  // ── validation ──

  readonly #validate: TopicValidator = async (peer, raw) => {
    const key = this.topics.get(raw.topic)
    if (!this.#started || key === undefined) return this.#ignore()
    if ((await this.#handshaken(peer)) === undefined) {
      this.#unverified++
      return this.#ignore()
    }
    let message: Message
    try {
      message = GOSSIP_TOPICS[key].codec.decode(raw.data)
    } catch (error) {
      return this.#reject(peer, asTyped(error))
    }
    let verdict: TopicVerdict | TimeCoinError
    try {
      verdict =
        message.type === 'FinalityCertificate'
          ? await this.#judgeFinality(message)
          : await this.#judgeBlock(message as CommitMessage)
    } catch (error) {
      verdict = asTyped(error)
    }
    if (verdict instanceof TimeCoinError) return this.#reject(peer, verdict)
    if (verdict !== TopicVerdict.Accept || !this.#started) return this.#ignore()
    this.#accepted++
    if (message.type === 'BlockCommit') this.#takeBlock(peer, message)
    else this.#hand(peer, message)
    return TopicVerdict.Accept
  }

  /** The sender's handshake (awaited, bounded) if it is a masternode or full node. */
  async #handshaken(peer: PeerId): Promise<VerifiedPeer | undefined> {
    const { handshake, connectionManager } = this.#components
    let verified = handshake.peer(peer)
    if (verified === undefined) {
      const connection = connectionManager.getConnections(peer).find((c) => c.status === 'open')
      if (connection === undefined) return undefined
      const wait = this.#init.handshakeWaitMs ?? DEFAULT_HANDSHAKE_WAIT_MS
      verified = await handshake
        .verified(connection, { signal: AbortSignal.timeout(wait) })
        .catch(() => undefined)
    }
    return verified === undefined || verified.role === PeerRole.LightClient ? undefined : verified
  }

  /** A final transaction: new here, of an epoch this node can judge, certificate and signatures valid. */
  async #judgeFinality(message: FinalityMessage): Promise<TopicVerdict | TimeCoinError> {
    const engine = this.#components.engine.runtime.engine
    const { certificate } = message
    const txid = computeTxid(message.tx)
    const mark = concatBytes(TX_MARK, txid)
    if (finalHere(engine, message.tx, txid) || this.#filter.has(mark, this.#clock()))
      return TopicVerdict.Ignore
    // Older than the filter remembers: passed on it could circle; a block will confirm it.
    if (!relayable(message, this.#clock(), this.#init.messageMaxAgeSeconds ?? DEFAULT_MAX_AGE_S)) {
      this.#stale++
      return TopicVerdict.Ignore
    }
    const epoch = engine.committee.epoch
    if (certificate.epoch > epoch || certificate.epoch + 1 < epoch) return TopicVerdict.Ignore
    const committee =
      engine.registry.committeeOf(certificate.epoch) ??
      (certificate.epoch === epoch ? engine.committee : undefined)
    if (committee === undefined) return TopicVerdict.Ignore
    checkCertificate(certificate, committee, epoch)
    await this.#signatures(message)
    // Another copy (another member's certificate) may have been accepted meanwhile.
    return this.#filter.addIfNew(mark, this.#clock()) ? TopicVerdict.Accept : TopicVerdict.Ignore
  }

  /**
   * A committed block: above this node's tip; its certificate for this very block, by the
   * committee of its epoch; its body the header's; the next block extends the tip.
   */
  async #judgeBlock(message: CommitMessage): Promise<TopicVerdict | TimeCoinError> {
    const engine = this.#components.engine.runtime.engine
    const tip = engine.tip
    if (tip === undefined) return TopicVerdict.Ignore // no chain kept here
    const { block, certificate } = message
    const height = block.header.height
    const hash = blockHash(block.header)
    const mark = concatBytes(BLOCK_MARK, hash)
    // One this node has: passed on once (it may have come by a link, not by gossip), if it is
    // one of the recent blocks of this node's own chain and its certificate holds.
    const have = height <= tip.height
    const ours = have ? this.#recent.get(height) : undefined
    if (
      (have && (ours === undefined || !equalBytes(ours, hash))) ||
      this.#filter.has(mark, this.#clock())
    )
      return TopicVerdict.Ignore
    const wrong = (code: 'BLOCK_INVALID' | 'BLOCK_NOT_EXTENDING', why: string) =>
      new ConsensusError(code, `block ${height}: ${why}`, PeerAction.LowToleranceError)
    if (certificate.height !== height || !equalBytes(certificate.blockHash, hash))
      return wrong('BLOCK_INVALID', 'the certificate is for another block')
    if (have) {
      const committee = engine.registry.committeeOf(certificate.epoch)
      if (committee === undefined) return TopicVerdict.Ignore
      checkBlockCertificate(certificate, committee)
      // Its transactions are this node's own block's: only the certificate's signatures are new.
      await this.#verify(entriesSignatureBundle(certificate.entries, this.#init.genesisHash))
      return this.#filter.addIfNew(mark, this.#clock()) ? TopicVerdict.Accept : TopicVerdict.Ignore
    }
    if (!bodyMatchesHeader(block))
      return wrong('BLOCK_INVALID', 'the body does not match the header')
    const next = height === tip.height + 1
    if (next && !equalBytes(block.header.prevHash, tip.hash))
      return wrong('BLOCK_NOT_EXTENDING', 'does not extend our tip')
    // Votes on block h use the epoch of block h − 1: the next block is the current committee's.
    // A later block of another epoch is one this node cannot judge yet.
    const committee = engine.committee
    if (!next && certificate.epoch !== committee.epoch) return TopicVerdict.Ignore
    checkBlockCertificate(certificate, committee)
    await this.#signatures(message)
    return this.#filter.addIfNew(mark, this.#clock()) ? TopicVerdict.Accept : TopicVerdict.Ignore
  }

  /** Every signature of the message, through the engine service's batching, caching verifier. */
  #signatures(message: Message): Promise<void> {
    return this.#verify(messageBundle(message, this.#init.genesisHash))
  }

  async #verify(bundle: SignatureBundle): Promise<void> {
    if (bundle.checks.length === 0) return
    assertVerdicts(bundle, await this.#components.engine.verifier.verifyMany(bundle.checks))
  }

  #ignore(): TopicVerdict {
    this.#ignored++
    return TopicVerdict.Ignore
  }

  #reject(peer: PeerId, error: TimeCoinError): TopicVerdict {
    this.#rejected++
    this.#components.engine.penalties.penalize({
      peer,
      action: error.peerAction ?? PeerAction.LowToleranceError,
      code: error.code,
      reason: error.message,
    })
    return TopicVerdict.Reject
  }

  // ── delivery ──

  #hand(peer: PeerId, message: Message): void {
    this.#delivered++
    this.#components.engine.deliver(peer, message)
  }

  /**
   * The next block goes to the engine now; a later one waits (the farthest is dropped first); one
   * this node has was only to be passed on.
   */
  #takeBlock(peer: PeerId, message: CommitMessage): void {
    const tip = this.#components.engine.runtime.engine.tip
    const height = message.block.header.height
    if (tip !== undefined && height <= tip.height) return
    if (tip === undefined || height === tip.height + 1) return this.#hand(peer, message)
    this.#earlyCount++
    this.#early.set(height, { peer, message })
    if (this.#early.size <= this.#maxEarly) return
    const farthest = Math.max(...this.#early.keys())
    this.#early.delete(farthest)
    this.#earlyDropped++
  }

  /** After a commit: the waiting block for the new next height goes in, older ones are dropped. */
  #deliverEarly(): void {
    const tip = this.#components.engine.runtime.engine.tip
    if (tip === undefined || this.#early.size === 0) return
    for (const h of this.#early.keys()) if (h <= tip.height) this.#early.delete(h)
    const next = this.#early.get(tip.height + 1)
    if (next === undefined) return
    this.#early.delete(tip.height + 1)
    this.#hand(next.peer, next.message)
  }
}
