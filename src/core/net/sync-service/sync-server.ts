/**
 * The serving side of the sync protocol (docs/PROTOCOL.md §19.6): on a `sync` stream (one request
 * each, after the peer's handshake is verified) it answers `Status` with this node's tip, a block
 * range with the committed blocks and certificates from the store (at most `maxAnswerBytes` of
 * blocks, at least one), and a snapshot chunk from a snapshot of the chain's UTXO set taken at the
 * tip when first asked and kept a while (`SnapshotCache`); anything else it cannot serve is a
 * `SyncError` answer.
 *
 * Invariants: every stream awaits the handshake's `verified` first and ends by the protocol's
 * deadline; a request frame is read within the dialer's limit and offered to the inbound gate
 * before it is decoded; every answer is one frame (blocks within `maxAnswerBytes`, one chunk);
 * the snapshots kept are bounded by the cache.
 */
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { BlockCodec } from '../../consensus/block.ts'
import { BlockCertificateCodec } from '../../consensus/block-certificate.ts'
import { loadCommittedBlocks } from '../../engine/chain-store.ts'
import { PeerAction, ProtocolError, SyncError, type TimeCoinError } from '../../errors.ts'
import { PROTOCOLS } from '../../protocol/protocols.ts'
import { type CertifiedBlock, rangeAnswer } from '../../protocol/sync-messages.ts'
import type { Store } from '../../storage/store.ts'
import type { SyncTip } from '../../sync/block-check.ts'
import { ChainSnapshot, type SnapshotCache } from '../../sync/snapshot.ts'
import type { InboundGate } from '../defence/inbound-gate.ts'
import { frameLimits } from '../defence/read-limits.ts'
import type { EngineService } from '../engine-service/engine-service.ts'
import type { HandshakeService } from '../handshake/handshake-service.ts'
import { DEFAULT_MAX_ANSWER_BYTES } from './constants.ts'
import { type SyncAnswer, type SyncRequest, typed, unavailable } from './sync-wire.ts'

export interface SyncServerParts {
  readonly store: Store
  readonly handshake: Pick<HandshakeService, 'verified'>
  readonly snapshots: SnapshotCache
  readonly clock: () => number
  readonly inbound?: InboundGate | undefined
  readonly maxAnswerBytes?: number | undefined
  /** Ends every stream early (the service stopping). */
  readonly signal: AbortSignal
  /** This node's tip now. */
  readonly tip: () => SyncTip
  /** The engine, when the host has one (snapshots are taken of its ledger). */
  readonly engine: () => Pick<EngineService, 'runtime'> | undefined
  /** A dialer's tip, from its Status. */
  readonly onStatus: (peer: PeerId, height: number, hash: Uint8Array) => void
  /** A dialer sent what `error` describes (it has a peer action). */
  readonly penalize: (peer: PeerId, error: TimeCoinError) => void
}

export class SyncServer {
  readonly #parts: SyncServerParts
  #served = 0

  constructor(parts: SyncServerParts) {
    this.#parts = parts
  }

  /** Exchanges answered. */
  get served(): number {
    return this.#served
  }

  /** One exchange: the dialer's Status or request, answered with our Status, then the answer. */
  async serve(stream: Stream, connection: Connection): Promise<void> {
    const spec = PROTOCOLS.sync
    const parts = this.#parts
    const signal = AbortSignal.any([AbortSignal.timeout(spec.timeoutMs), parts.signal])
    try {
      await parts.handshake.verified(connection, { signal })
      const lp = lpStream(stream, frameLimits(spec.dialer.maxDataLength))
      const frame = (await lp.read({ signal })).subarray()
      if (parts.inbound?.admit(connection.remotePeer, 'sync', frame) === false) {
        stream.abort(new SyncError('SYNC_UNAVAILABLE', 'a sync request over the rate limit'))
        return
      }
      const request = spec.dialer.decode(frame)
      if (request.type === 'Status')
        parts.onStatus(connection.remotePeer, request.height, request.hash)
      const tip = parts.tip()
      const frames = [spec.listener!.encode({ type: 'Status', height: tip.height, hash: tip.hash })]
      if (request.type !== 'Status')
        frames.push(spec.listener!.encode(await this.#answer(request, tip)))
      this.#served++
      await lp.writeV(frames, { signal })
      await stream.close({ signal })
    } catch (error) {
      const t = typed(error, 'serving a sync request')
      if (t.peerAction !== undefined) parts.penalize(connection.remotePeer, t)
      stream.abort(t)
    }
  }

  async #answer(request: SyncRequest, tip: SyncTip): Promise<SyncAnswer> {
    switch (request.type) {
      case 'BlocksByRangeRequest': {
        const { from, count } = request
        if (from < 1 || from > tip.height)
          return unavailable(`no block ${from}: the tip is ${tip.height}`)
        const blocks = await loadCommittedBlocks(
          this.#parts.store,
          from,
          Math.min(count, tip.height - from + 1),
        )
        if (blocks.length === 0) return unavailable(`block ${from} is not kept here`)
        return rangeAnswer(this.#withinBytes(blocks))
      }
      case 'SnapshotChunkRequest': {
        const engine = this.#parts.engine()?.runtime.engine
        if (engine === undefined) return unavailable('no snapshots without an engine')
        const snapshot = this.#parts.snapshots.at(request.height, this.#parts.clock(), tip, () =>
          ChainSnapshot.of(tip.height, tip.hash, engine.ledger.utxos.entries()),
        )
        const records = snapshot?.chunk(request.index)
        if (snapshot === undefined || records === undefined)
          return unavailable(`no snapshot chunk ${request.index} at ${request.height}`)
        return {
          type: 'SnapshotChunk',
          height: snapshot.height,
          index: request.index,
          total: snapshot.total,
          records,
        }
      }
      default:
        // The dialer's codec admits only Status and the two requests.
        throw new ProtocolError(
          'PROTOCOL_UNEXPECTED_MESSAGE',
          `a ${request.type} as a sync request`,
          PeerAction.LowToleranceError,
        )
    }
  }

  /** The longest prefix of `blocks` within `maxAnswerBytes` (at least the first). */
  #withinBytes(blocks: readonly CertifiedBlock[]): CertifiedBlock[] {
    const budget = this.#parts.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES
    const out: CertifiedBlock[] = []
    let bytes = 0
    for (const b of blocks) {
      bytes +=
        BlockCodec.encode(b.block).length + BlockCertificateCodec.encode(b.certificate).length
      if (bytes > budget && out.length > 0) break
      out.push(b)
    }
    return out
  }
}
