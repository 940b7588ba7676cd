/**
 * The light client over libp2p: opens the wallet stream on a connection to a masternode (the
 * wallet dials; a browser cannot be dialled) and drives the sans-I/O `LightClient` — frames in,
 * commands out: frames written, signatures verified (natively where the platform can), timers
 * armed, the stream closed when the masternode breaks the protocol, events handed to the
 * application. Works in both hosts (libp2p interfaces only).
 *
 * Invariants: one stream at a time; inbound frames are length-checked before they are buffered
 * and read while the client's backlog is under `maxBacklog` (the muxer's flow-control credit
 * holds the masternode back meanwhile); every timer, verification and listener ends with the
 * stream — a verdict or a timer that outlives it reaches nothing.
 */
import type { AbortOptions, Connection, Stream, StreamMessageEvent } from '@libp2p/interface'
import { TypedEventEmitter } from '@libp2p/interface'
import { type Ed25519Verifier, ed25519 } from '../../crypto/ed25519.ts'
import { TimeCoinError, WalletError } from '../../errors.ts'
import type { AddressPayload } from '../../primitives/address.ts'
import type { NetworkName } from '../../primitives/network.ts'
import type { Transaction } from '../../primitives/transaction.ts'
import { PROTOCOLS, protocolIdOf } from '../../protocol/protocols.ts'
import type {
  LightClient,
  LightClientCommand,
  LightClientEvent,
  LightClientInput,
} from '../../wallet/light-client/light-client.ts'
import { encodeFrames, FrameReader } from '../committee-links/frames.ts'
import type { HandshakeService } from '../handshake/handshake-service.ts'

export interface WalletClientInit {
  readonly network: NetworkName
  /** The state machine this adapter drives (it outlives streams: reconnect with `connect`). */
  readonly client: LightClient
  /** Checks the proofs' signatures (default: the core's native-first verifier). */
  readonly verifier?: Ed25519Verifier
  /** Milliseconds, monotonic (default `performance.now`). */
  readonly clock?: () => number
  /** Outputs received and not yet applied above which the stream is not read (default 1,024). */
  readonly maxBacklog?: number
}

export interface WalletClientEvents {
  /** What the light client tells the application. */
  event: CustomEvent<LightClientEvent>
  /** The wallet stream closed (`detail`: why, when the client or a failure closed it). */
  closed: CustomEvent<TimeCoinError | undefined>
}

export const DEFAULT_MAX_BACKLOG = 1_024

export class WalletClient extends TypedEventEmitter<WalletClientEvents> {
  readonly client: LightClient
  readonly protocol: string
  readonly #verifier: Ed25519Verifier
  readonly #clock: () => number
  readonly #maxBacklog: number
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>()
  #stream: Stream | null = null
  #reader: FrameReader | null = null
  #paused = false
  /** Bumped with each stream: verdicts and timers of an older one are dropped. */
  #generation = 0

  constructor(init: WalletClientInit) {
    super()
    this.client = init.client
    this.protocol = protocolIdOf(init.network, 'wallet')
    this.#verifier = init.verifier ?? ed25519
    this.#clock = init.clock ?? (() => performance.now())
    this.#maxBacklog = init.maxBacklog ?? DEFAULT_MAX_BACKLOG
  }

  get connected(): boolean {
    return this.#stream !== null
  }

  /**
   * Opens the wallet stream on `connection` (waiting first for this side's handshake of it, when
   * `handshake` is given) and subscribes what the client watches.
   */
  async connect(
    connection: Connection,
    options: AbortOptions & { handshake?: Pick<HandshakeService, 'verified'> } = {},
  ): Promise<void> {
    if (this.#stream !== null) throw new RangeError('the wallet client already has a stream')
    const signal = options.signal ?? AbortSignal.timeout(PROTOCOLS.wallet.timeoutMs)
    if (options.handshake !== undefined) await options.handshake.verified(connection, { signal })
    const stream = await connection.newStream(this.protocol, { signal })
    this.#generation++
    this.#stream = stream
    const limits = PROTOCOLS.wallet.listener!
    this.#reader = new FrameReader({
      maxDataLength: limits.maxDataLength,
      checkLength: limits.checkLength,
    })
    stream.addEventListener('message', this.#onMessage)
    stream.addEventListener('close', this.#onClose)
    stream.addEventListener('end', this.#onEnd)
    this.#input({ type: 'connected' })
    // The masternode may have answered and closed its end (a refusal) before we listened.
    if (stream.readableEnded) this.#onEnd()
  }

  /** Closes the stream; the client keeps its addresses, outputs and committees. */
  async close(): Promise<void> {
    const stream = this.#stream
    if (stream === null) return
    this.#detach(undefined)
    try {
      await stream.close({ signal: AbortSignal.timeout(1_000) })
    } catch (error) {
      stream.abort(error instanceof Error ? error : new Error(String(error)))
    }
  }

  subscribe(addresses: readonly AddressPayload[]): void {
    this.#carryOut(this.client.subscribe(addresses, this.#clock()))
  }

  unsubscribe(addresses: readonly AddressPayload[]): void {
    this.#carryOut(this.client.unsubscribe(addresses, this.#clock()))
  }

  resync(address: AddressPayload): void {
    this.#carryOut(this.client.resync(address, this.#clock()))
  }

  /** Submits `tx`; the `submitted` event with the returned request id carries the answer. */
  submit(tx: Transaction): number {
    const { requestId, commands } = this.client.submit(tx, this.#clock())
    this.#carryOut(commands)
    return requestId
  }

  #input(input: LightClientInput): void {
    this.#carryOut(this.client.handle(input, this.#clock()))
  }

  #carryOut(commands: readonly LightClientCommand[]): void {
    const frames: Uint8Array[] = []
    for (const c of commands) {
      switch (c.type) {
        case 'send':
          frames.push(c.frame)
          break
        case 'verify':
          this.#verify(c.id, c.checks)
          break
        case 'setTimer':
          this.#setTimer(c.id, c.at)
          break
        case 'clearTimer':
          clearTimeout(this.#timers.get(c.id))
          this.#timers.delete(c.id)
          break
        case 'close':
          this.#stream?.abort(c.error)
          this.#detach(c.error)
          break
        case 'event':
          this.safeDispatchEvent('event', { detail: c.event })
          break
      }
    }
    // A wallet sends little (bounded by the client's requests in flight): the muxer buffers it.
    if (frames.length > 0 && this.#stream !== null) this.#stream.send(encodeFrames(frames))
    this.#flow()
  }

  #verify(id: number, checks: Parameters<Ed25519Verifier['verifyMany']>[0]): void {
    const generation = this.#generation
    this.#verifier.verifyMany(checks).then(
      (verdicts) => {
        if (generation === this.#generation && this.#stream !== null)
          this.#input({ type: 'verified', id, verdicts })
      },
      () => {
        if (generation === this.#generation && this.#stream !== null)
          this.#input({ type: 'verified', id, verdicts: checks.map(() => false) })
      },
    )
  }

  #setTimer(id: string, at: number): void {
    clearTimeout(this.#timers.get(id))
    const generation = this.#generation
    this.#timers.set(
      id,
      setTimeout(
        () => {
          this.#timers.delete(id)
          if (generation === this.#generation) this.#input({ type: 'timer', id })
        },
        Math.max(0, at - this.#clock()),
      ),
    )
  }

  /** Reads while the client keeps up; stops while too much waits for its checks. */
  #flow(): void {
    const stream = this.#stream
    if (stream === null) return
    const backlog = this.client.backlog
    if (!this.#paused && backlog > this.#maxBacklog) {
      this.#paused = true
      stream.pause()
    } else if (this.#paused && backlog <= this.#maxBacklog / 2) {
      this.#paused = false
      stream.resume()
    }
  }

  readonly #onMessage = (event: StreamMessageEvent): void => {
    const reader = this.#reader
    if (reader === null) return
    try {
      reader.push(event.data, (frame) => this.#input({ type: 'frame', frame }))
    } catch (error) {
      const typed =
        error instanceof TimeCoinError
          ? error
          : new WalletError('WALLET_DISCONNECTED', `unreadable wallet stream: ${String(error)}`)
      this.#stream?.abort(typed)
      this.#detach(typed)
    }
  }

  readonly #onClose = (): void => {
    this.#detach(undefined)
  }

  /** Everything the masternode sent is read and its end is closed (a refusal, a stop): ours too. */
  readonly #onEnd = (): void => {
    void this.close()
  }

  /** Forgets the stream: timers cleared, the client told, `closed` dispatched. */
  #detach(error: TimeCoinError | undefined): void {
    const stream = this.#stream
    if (stream === null) return
    stream.removeEventListener('message', this.#onMessage)
    stream.removeEventListener('close', this.#onClose)
    stream.removeEventListener('end', this.#onEnd)
    this.#stream = null
    this.#reader = null
    this.#paused = false
    this.#generation++
    for (const timer of this.#timers.values()) clearTimeout(timer)
    this.#timers.clear()
    this.#carryOut(this.client.handle({ type: 'disconnected' }, this.#clock()))
    this.safeDispatchEvent('closed', { detail: error })
  }
}
