/**
 * The wallet protocol's masternode side as a libp2p service (docs/PROTOCOL.md §19.5): a wallet
 * opens one long-lived stream (a browser cannot accept dials), subscribes to addresses and gets
 * each one's status hash, then every state change of their outputs pushed with its proof — a
 * finality certificate, or a certified block with the transaction's Merkle path — and each new
 * transaction touching them; it may also query an address's outputs page by page, submit a
 * transaction (answered with the engine's verdict), and ask for the committee proof from an epoch.
 *
 * The engine's `utxoState` notifications drive the pushes: each is looked up by address in O(1)
 * (`views`: address → the view its subscribers share), encoded once, and queued on every
 * subscriber's stream. A wallet that does not drain its stream has a bounded queue, then is
 * disconnected: the node never waits for a wallet.
 *
 * Invariants: every handler waits for the connection's handshake; wallets ≤ `maxWallets`, one
 * stream per wallet peer (a new one replaces the old); addresses per wallet ≤ `maxAddresses`, so
 * views ≤ maxWallets × maxAddresses; a view exists exactly while a wallet subscribes to its
 * address; requests being answered per wallet ≤ `maxPendingRequests` (the stream is not read
 * meanwhile); the wallet receives answers and pushes in the order of its requests and of the
 * engine's state changes; nothing outlives `stop()`.
 */
import type { Connection, PeerId, Startable, Stream } from '@libp2p/interface'
import type { Registrar } from '@libp2p/interface-internal'
import type { CommitteeProofStep } from '../../consensus/committee-proof.ts'
import { bytesToHex, equalBytes } from '../../encoding/bytes.ts'
import { loadCommittedBlocks, loadCommitteeProof } from '../../engine/chain-store.ts'
import type { UtxoStateChange } from '../../engine/events.ts'
import type { Notification } from '../../engine/runtime.ts'
import { LedgerError, TimeCoinError, WalletError } from '../../errors.ts'
import { txidKey } from '../../ledger/map-keys.ts'
import type { AddressPayload } from '../../primitives/address.ts'
import type { NetworkName } from '../../primitives/network.ts'
import { outPointToString } from '../../primitives/outpoint.ts'
import { computeTxid, type Transaction, transactionSize } from '../../primitives/transaction.ts'
import { type Txid, txidToHex } from '../../primitives/txid.ts'
import { PROTOCOLS, protocolIdOf } from '../../protocol/protocols.ts'
import { type WalletUtxo, walletUtxoState } from '../../protocol/utxo-proofs.ts'
import {
  MAX_PROOF_STEPS_PER_ANSWER,
  MAX_UTXOS_PER_ANSWER,
  type WalletRequest,
  type WalletResponse,
} from '../../protocol/wallet-messages.ts'
import { type WireError, wireError } from '../../protocol/wire-fields.ts'
import type { Store } from '../../storage/store.ts'
import type { EngineService } from '../engine-service/engine-service.ts'
import type { PenaltySink } from '../engine-service/penalties.ts'
import type { HandshakeService } from '../handshake/handshake-service.ts'
import { AddressIndex, AddressView } from './address-index.ts'
import {
  ANNOUNCED_TRANSACTIONS,
  DEFAULT_MAX_ADDRESSES_PER_WALLET,
  DEFAULT_MAX_PENDING_REQUESTS,
  DEFAULT_MAX_WALLET_QUEUE_BYTES,
  DEFAULT_MAX_WALLETS,
  DEFAULT_WALLET_TIMEOUT_MS,
  MAX_WALLET_STREAMS_PER_CONNECTION,
} from './constants.ts'
import { type BlockLoader, ProofSource } from './proofs.ts'
import { framed, type Slot, WalletSession } from './session.ts'

/** The parts of a libp2p node the service uses (the handshake and engine services included). */
export interface WalletServiceComponents {
  registrar: Pick<Registrar, 'handle' | 'unhandle'>
  handshake: Pick<HandshakeService, 'verified'>
  engine: Pick<EngineService, 'runtime' | 'submit' | 'onNotification'>
}

export interface WalletServiceInit {
  readonly network: NetworkName
  /** The engine's store: committee proof steps, and committed blocks older than the recent ones. */
  readonly store: Store
  /** Where proofs find a committed block the engine no longer keeps (default: `store`). */
  readonly loadBlock?: BlockLoader
  /** Wallet streams at once (default 1,000). */
  readonly maxWallets?: number
  /** Addresses per wallet (default 1,000). */
  readonly maxAddresses?: number
  /** Bytes queued per wallet before it is disconnected as too slow (default 4 MiB). */
  readonly maxQueueBytes?: number
  /** A write's drain deadline and the handshake wait (default the protocol's 30 s). */
  readonly timeoutMs?: number
  /** Requests of one wallet answered at once (default 16). */
  readonly maxPendingRequests?: number
  /** The defence layer's gate, asked for every frame before it is decoded (false drops it). */
  readonly inbound?: { admit(peer: PeerId, protocol: 'wallet', frame: Uint8Array): boolean }
  /** Where a wallet's malformed frames are charged (default: nowhere; the stream is closed). */
  readonly penalties?: PenaltySink
}

export interface WalletServiceStats {
  readonly wallets: number
  /** Subscribed addresses (views), and subscriptions over all wallets. */
  readonly addresses: number
  readonly subscriptions: number
  /** Outputs and addresses in the address index. */
  readonly indexedOutputs: number
  readonly indexedAddresses: number
  readonly notifications: number
  readonly framesIn: number
  /** Requests answered, by kind. */
  readonly subscribes: number
  readonly queries: number
  readonly submits: number
  readonly committeeProofs: number
  readonly refusedWallets: number
  readonly slowWallets: number
  readonly frameErrors: number
}

type Settings = Required<
  Pick<
    WalletServiceInit,
    'maxWallets' | 'maxAddresses' | 'maxQueueBytes' | 'timeoutMs' | 'maxPendingRequests'
  >
>

function typed(error: unknown): TimeCoinError {
  if (error instanceof TimeCoinError) return error
  return new WalletError(
    'WALLET_DISCONNECTED',
    `the wallet stream failed: ${error instanceof Error ? error.message : String(error)}`,
  )
}

export class WalletService implements Startable {
  readonly [Symbol.toStringTag] = '@timecoin/wallet'
  /** The wallet protocol id of this node's network. */
  readonly protocol: string
  readonly #components: WalletServiceComponents
  readonly #init: WalletServiceInit
  readonly #settings: Settings
  /** Wallet peer (string) → its session. */
  readonly #sessions = new Map<string, WalletSession>()
  /** Subscribed address (hex) → its view and subscribers: the O(1) lookup of every push. */
  readonly #views = new Map<string, AddressView<WalletSession>>()
  /** Transactions already announced to wallets (txid key), oldest first, ≤ ANNOUNCED_TRANSACTIONS. */
  readonly #announced = new Set<string>()
  #index: AddressIndex | undefined
  #proofs: ProofSource | undefined
  #stopListening: (() => void) | undefined
  /** The committee proof from genesis, loaded for the epoch it reaches (reloaded when it moves). */
  #proof: { epoch: number; steps: Promise<CommitteeProofStep[]> } | undefined
  #started = false
  #nextSession = 1
  #notifications = 0
  #framesIn = 0
  #subscribes = 0
  #queries = 0
  #submits = 0
  #committeeProofs = 0
  #refused = 0
  #slow = 0
  #frameErrors = 0

  constructor(components: WalletServiceComponents, init: WalletServiceInit) {
    this.#components = components
    this.#init = init
    this.protocol = protocolIdOf(init.network, 'wallet')
    this.#settings = {
      maxWallets: init.maxWallets ?? DEFAULT_MAX_WALLETS,
      maxAddresses: init.maxAddresses ?? DEFAULT_MAX_ADDRESSES_PER_WALLET,
      maxQueueBytes: init.maxQueueBytes ?? DEFAULT_MAX_WALLET_QUEUE_BYTES,
      timeoutMs: init.timeoutMs ?? DEFAULT_WALLET_TIMEOUT_MS,
      maxPendingRequests: init.maxPendingRequests ?? DEFAULT_MAX_PENDING_REQUESTS,
    }
    for (const [name, value] of Object.entries(this.#settings))
      if (!Number.isSafeInteger(value) || value < 1)
        throw new RangeError(`wallet service: ${name} must be a positive whole number`)
  }

  async start(): Promise<void> {
    const engine = this.#components.engine
    const finality = engine.runtime.engine
    this.#index = new AddressIndex(finality.ledger.utxos)
    const store = this.#init.store
    this.#proofs = new ProofSource(
      finality,
      this.#init.loadBlock ?? (async (height) => (await loadCommittedBlocks(store, height, 1))[0]),
    )
    this.#stopListening = engine.onNotification(this.#onNotification)
    await this.#components.registrar.handle(this.protocol, this.#onStream, {
      maxInboundStreams: MAX_WALLET_STREAMS_PER_CONNECTION,
    })
    this.#started = true
  }

  async stop(): Promise<void> {
    this.#started = false
    this.#stopListening?.()
    this.#stopListening = undefined
    for (const session of [...this.#sessions.values()])
      session.abort(new WalletError('WALLET_DISCONNECTED', 'the masternode is stopping'))
    this.#sessions.clear()
    this.#views.clear()
    await this.#components.registrar.unhandle(this.protocol)
  }

  stats(): WalletServiceStats {
    let subscriptions = 0
    for (const s of this.#sessions.values()) subscriptions += s.addresses.size
    return {
      wallets: this.#sessions.size,
      addresses: this.#views.size,
      subscriptions,
      indexedOutputs: this.#index?.size ?? 0,
      indexedAddresses: this.#index?.addresses ?? 0,
      notifications: this.#notifications,
      framesIn: this.#framesIn,
      subscribes: this.#subscribes,
      queries: this.#queries,
      submits: this.#submits,
      committeeProofs: this.#committeeProofs,
      refusedWallets: this.#refused,
      slowWallets: this.#slow,
      frameErrors: this.#frameErrors,
    }
  }

  // ── streams ──

  readonly #onStream = (stream: Stream, connection: Connection): void => {
    void this.#accept(stream, connection)
  }

  async #accept(stream: Stream, connection: Connection): Promise<void> {
    try {
      await this.#components.handshake.verified(connection, {
        signal: AbortSignal.timeout(this.#settings.timeoutMs),
      })
    } catch (error) {
      stream.abort(typed(error))
      return
    }
    if (!this.#started) {
      stream.abort(new WalletError('WALLET_DISCONNECTED', 'the masternode is stopping'))
      return
    }
    const key = connection.remotePeer.toString()
    const session = new WalletSession({
      id: this.#nextSession++,
      peer: connection.remotePeer,
      stream,
      maxQueueBytes: this.#settings.maxQueueBytes,
      timeoutMs: this.#settings.timeoutMs,
      hooks: { frame: this.#onFrame, closed: this.#onClosed },
    })
    // A wallet peer holds one stream: a new one (a reconnect over a fresh connection) replaces it.
    const old = this.#sessions.get(key)
    if (old === undefined && this.#sessions.size >= this.#settings.maxWallets) {
      this.#refused++
      session.push(
        this.#encode({
          type: 'Error',
          requestId: 0,
          error: {
            code: 'WALLET_TOO_MANY_PEERS',
            message: `this masternode serves ${this.#settings.maxWallets} wallets already`,
          },
        }),
      )
      await session.closeAfterFlush()
      return
    }
    old?.abort(new WalletError('WALLET_DISCONNECTED', 'replaced by a new stream of the wallet'))
    this.#sessions.set(key, session)
    // A wallet that closed its end before we listened has nothing more to ask.
    if (stream.readableEnded) void session.closeAfterFlush()
  }

  readonly #onClosed = (session: WalletSession, error: TimeCoinError | undefined): void => {
    if (error?.code === 'WALLET_SLOW_SUBSCRIBER') this.#slow++
    const key = session.peer.toString()
    if (this.#sessions.get(key) === session) this.#sessions.delete(key)
    for (const hex of session.addresses) this.#leave(hex, session)
    session.addresses.clear()
  }

  readonly #onFrame = (session: WalletSession, frame: Uint8Array): void => {
    if (!this.#started || session.closed) return
    if (this.#init.inbound?.admit(session.peer, 'wallet', frame) === false) return
    this.#framesIn++
    let request: WalletRequest
    try {
      request = PROTOCOLS.wallet.dialer.decode(frame) as WalletRequest
    } catch (error) {
      return this.#malformed(session, typed(error))
    }
    this.#serve(session, request)
  }

  /** A frame no wallet sends: told why (request id 0), charged, and the stream closed. */
  #malformed(session: WalletSession, error: TimeCoinError): void {
    this.#frameErrors++
    if (error.peerAction !== undefined)
      this.#init.penalties?.penalize({
        peer: session.peer,
        action: error.peerAction,
        code: error.code,
        reason: error.message,
      })
    session.push(this.#encode({ type: 'Error', requestId: 0, error: wireError(error) }))
    void session.closeAfterFlush()
  }

  // ── requests ──

  #serve(session: WalletSession, request: WalletRequest): void {
    switch (request.type) {
      case 'UTXOSubscribe':
        this.#subscribes++
        return session.push(this.#subscribe(session, request))
      case 'UTXOUnsubscribe':
        return session.push(this.#unsubscribe(session, request))
      case 'UTXOStateQuery':
        this.#queries++
        return this.#later(session, this.#query(request))
      case 'SubmitTransaction':
        this.#submits++
        return this.#later(session, this.#submit(request.requestId, request.tx))
      case 'CommitteeProofRequest':
        this.#committeeProofs++
        return this.#later(session, this.#committeeProof(request.requestId, request.fromEpoch))
      case 'Error':
        // A wallet's notice (e.g. before it closes): nothing to answer.
        return
    }
  }

  /** An answer built asynchronously, in its place in the wallet's queue. */
  #later(session: WalletSession, answer: Promise<WalletResponse>): void {
    const slot: Slot = session.reserve()
    session.pending++
    if (session.pending >= this.#settings.maxPendingRequests) session.pause()
    answer
      .then(
        (message) => session.fill(slot, this.#encode(message)),
        (error: unknown) => {
          // A bug, not the wallet's doing: the stream cannot go on with a hole in its order.
          session.abort(typed(error))
        },
      )
      .finally(() => {
        session.pending--
        if (session.pending <= this.#settings.maxPendingRequests / 2) session.resume()
      })
  }

  #subscribe(
    session: WalletSession,
    request: Extract<WalletRequest, { type: 'UTXOSubscribe' }>,
  ): Uint8Array {
    const fresh = new Map<string, AddressPayload>()
    for (const address of request.addresses) {
      const hex = bytesToHex(address)
      if (!session.addresses.has(hex)) fresh.set(hex, address)
    }
    const total = session.addresses.size + fresh.size
    if (total > this.#settings.maxAddresses)
      return this.#error(request.requestId, {
        code: 'WALLET_TOO_MANY_ADDRESSES',
        message: `${total} addresses on one wallet stream, limit ${this.#settings.maxAddresses}`,
      })
    for (const [hex, address] of fresh) {
      session.addresses.add(hex)
      this.#view(hex, address).subscribers.add(session)
    }
    const statuses = request.addresses.map((address) => ({
      address,
      status: this.#view(bytesToHex(address), address).status(),
    }))
    return this.#encode({ type: 'UTXOSubscribeAnswer', requestId: request.requestId, statuses })
  }

  #unsubscribe(
    session: WalletSession,
    request: Extract<WalletRequest, { type: 'UTXOUnsubscribe' }>,
  ): Uint8Array {
    for (const address of request.addresses) {
      const hex = bytesToHex(address)
      if (session.addresses.delete(hex)) this.#leave(hex, session)
    }
    return this.#encode({ type: 'UTXOSubscribeAnswer', requestId: request.requestId, statuses: [] })
  }

  /** The view of a subscribed address, made from the ledger when its first wallet subscribes. */
  #view(hex: string, address: AddressPayload): AddressView<WalletSession> {
    let view = this.#views.get(hex)
    if (view === undefined) {
      view = new AddressView(address, this.#index!.outputsOf(hex))
      this.#views.set(hex, view)
    }
    return view
  }

  #leave(hex: string, session: WalletSession): void {
    const view = this.#views.get(hex)
    if (view === undefined) return
    view.subscribers.delete(session)
    if (view.subscribers.size === 0) this.#views.delete(hex)
  }

  /** One page of an address's outputs, with their proofs (an old block may come from the store). */
  async #query(
    request: Extract<WalletRequest, { type: 'UTXOStateQuery' }>,
  ): Promise<WalletResponse> {
    const hex = bytesToHex(request.address)
    const view =
      this.#views.get(hex) ?? new AddressView(request.address, this.#index!.outputsOf(hex))
    // The page, the total and the status are taken now, together: what the wallet sees is one
    // state of the address, whatever the proofs' reads meet meanwhile.
    const page = view.page(request.from, MAX_UTXOS_PER_ANSWER)
    const status = view.status()
    const total = view.size
    const proofs = this.#proofs!
    const utxos: WalletUtxo[] = await Promise.all(
      page.map(async (o) => ({ ...o, proof: await proofs.forOutput(o.outpoint, o.state) })),
    )
    return {
      type: 'UTXOStateAnswer',
      requestId: request.requestId,
      address: request.address,
      status,
      total,
      from: request.from,
      utxos,
    }
  }

  /**
   * The wallet's transaction, through the engine as a local submission: refused at once when the
   * ledger shows it cannot be admitted (a conflict, a full mempool, an invalid spend), else
   * verified and handed to the engine (which relays it to the committee).
   */
  async #submit(requestId: number, tx: Transaction): Promise<WalletResponse> {
    const txid = computeTxid(tx)
    const refused = (error: TimeCoinError): WalletResponse => ({
      type: 'SubmitResult',
      requestId,
      txid,
      error: wireError(error),
    })
    const engine = this.#components.engine
    const finality = engine.runtime.engine
    const ledger = finality.ledger
    if (!finality.isFinal(txid) && ledger.mempool.get(txid) === undefined) {
      try {
        const check = ledger.checkSpend(tx, txid)
        if (check.status === 'conflict' && !equalBytes(check.txid, txid))
          return refused(
            new LedgerError(
              'LEDGER_CONFLICT',
              `${outPointToString(check.outpoint)} is ${check.state} by ${txidToHex(check.txid)}`,
            ),
          )
        if (check.status === 'spendable') {
          if (ledger.mempool.evictionPlan(transactionSize(tx), check.fee) === null)
            return refused(
              new LedgerError('MEMPOOL_FULL', 'the mempool is full of transactions paying more'),
            )
        }
      } catch (error) {
        if (error instanceof TimeCoinError) return refused(error)
        throw error
      }
    }
    try {
      await engine.submit(tx)
    } catch (error) {
      if (error instanceof TimeCoinError) return refused(error)
      return refused(new WalletError('WALLET_DISCONNECTED', `the engine refused: ${String(error)}`))
    }
    return { type: 'SubmitResult', requestId, txid, error: null }
  }

  /** Steps from `fromEpoch` (at most 16) and the current epoch. */
  async #committeeProof(requestId: number, fromEpoch: number): Promise<WalletResponse> {
    const currentEpoch = this.#components.engine.runtime.engine.committee.epoch
    let steps: CommitteeProofStep[] = []
    if (fromEpoch < currentEpoch) {
      if (this.#proof?.epoch !== currentEpoch)
        this.#proof = { epoch: currentEpoch, steps: loadCommitteeProof(this.#init.store) }
      const all = await this.#proof.steps
      // Step i begins epoch header.epoch + 1; the wallet holds C_fromEpoch.
      steps = all.filter((s) => s.header.epoch >= fromEpoch).slice(0, MAX_PROOF_STEPS_PER_ANSWER)
    }
    return { type: 'CommitteeProofAnswer', requestId, fromEpoch, currentEpoch, steps }
  }

  // ── pushes ──

  readonly #onNotification = (n: Notification): void => {
    if (!this.#started) return
    if (n.type === 'utxoState') this.#onUtxoState(n)
    else if (n.type === 'committed') this.#afterCommit()
  }

  #onUtxoState(change: UtxoStateChange): void {
    this.#index!.add(change.output.address, change.outpoint)
    const hex = bytesToHex(change.output.address)
    const view = this.#views.get(hex)
    if (view === undefined || view.subscribers.size === 0) return
    if (change.state.kind !== 'Unspent') this.#announce(change.state.txid)
    const state = walletUtxoState(change.state)
    view.apply({ outpoint: change.outpoint, output: change.output, state })
    const utxo: WalletUtxo = {
      outpoint: change.outpoint,
      output: change.output,
      state,
      proof: this.#proofs!.forChange(change),
    }
    const frame = this.#encode({ type: 'UTXOStateNotification', utxo, status: view.status() })
    this.#notifications++
    for (const session of view.subscribers) session.push(frame)
  }

  /**
   * A transaction spending from or paying to subscribed addresses, when it first moves one of
   * their outputs: once to each of their wallets, before that output's state.
   */
  #announce(txid: Txid): void {
    const key = txidKey(txid)
    if (this.#announced.has(key)) return
    const ledger = this.#components.engine.runtime.engine.ledger
    const tx = ledger.mempool.get(txid)?.tx
    if (tx === undefined) return
    this.#announced.add(key)
    if (this.#announced.size > ANNOUNCED_TRANSACTIONS)
      this.#announced.delete(this.#announced.values().next().value!)
    const audience = new Set<WalletSession>()
    const touch = (address: Uint8Array | undefined) => {
      if (address === undefined) return
      for (const s of this.#views.get(bytesToHex(address))?.subscribers ?? []) audience.add(s)
    }
    for (const o of tx.outputs) touch(o.address)
    for (const i of tx.inputs) touch(ledger.utxos.get(i.outpoint)?.output.address)
    if (audience.size === 0) return
    const frame = this.#encode({ type: 'NewTransactionNotification', tx })
    for (const s of audience) s.push(frame)
  }

  /**
   * After a commit (the ledger prunes spent outputs deep enough then): they leave the subscribed
   * views at once, and the index when it has outgrown the UTXO set.
   */
  #afterCommit(): void {
    const utxos = this.#components.engine.runtime.engine.ledger.utxos
    this.#index!.sweepIfLarge()
    for (const view of this.#views.values()) view.prune((o) => utxos.get(o) !== undefined)
  }

  // ── encoding ──

  /** The message as a frame, length prefix included (what a session queues). */
  #encode(message: WalletResponse): Uint8Array {
    return framed(PROTOCOLS.wallet.listener!.encode(message as never))
  }

  #error(requestId: number, error: WireError): Uint8Array {
    return this.#encode({ type: 'Error', requestId, error })
  }
}
