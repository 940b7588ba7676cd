/**
 * The node daemon (`timecoin masternode`): from one `Settings`, it loads the genesis, takes the
 * data directory's lock (which opens the LevelDB store), loads its keys, builds the node
 * (assemble.ts) with the defence layer, discovery, gossip, the wallet protocol and sync, and serves
 * JSON-RPC and Prometheus metrics; `stop` takes them down in reverse. A masternode key (`masternodeprivkey`,
 * `masternodekeyfile`, else `keys/masternode.key` if present) makes a voting masternode when the
 * committee holds it; without one the node is a full node. Its engine runs on the wall clock
 * (engine-ports.ts), so its timestamps mean the same to every peer and after a restart.
 *
 * Invariants: everything started is stopped, in reverse order, whether start-up failed half-way or
 * the node ran; `stop` is idempotent and its steps each run even if an earlier one failed; the
 * lock is released last (after the store's last write), so a restarted node never meets a store
 * half-closed; the RPC cookie exists exactly while the RPC server listens.
 */
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { type Ed25519Verifier, getPublicKey, type KeyPair } from '../../core/crypto/ed25519.ts'
import { bytesToHex } from '../../core/encoding/bytes.ts'
import type { Notification } from '../../core/engine/runtime.ts'
import { DEFAULT_MEMPOOL_LIMITS } from '../../core/ledger/mempool.ts'
import { Defence, defenceSettings } from '../../core/net/index.ts'
import { redactedSettings, type Settings } from '../config/settings.ts'
import { nativeSigner } from '../crypto/native-signer.ts'
import { createThreadVerifier } from '../crypto/native-verify.ts'
import { createVerifierPool, type VerifierPool } from '../crypto/verifier-pool.ts'
import { loadKeyFile } from '../datadir/key-file.ts'
import { type DatadirLayout, datadirLayout } from '../datadir/layout.ts'
import { type DatadirLock, lockDatadir } from '../datadir/lock.ts'
import { wallClock, wallTimers } from '../engine-ports.ts'
import { ConfigError } from '../errors.ts'
import { type LoadedGenesis, loadGenesisFile } from '../genesis/genesis-file.ts'
import { FilePeerBookStore } from '../net/peer-book-file.ts'
import { readTlsFiles } from '../net/tls-files.ts'
import { BanFile } from '../rpc/ban-file.ts'
import { BanList } from '../rpc/ban-list.ts'
import { banMethods } from '../rpc/ban-methods.ts'
import { RpcDispatcher } from '../rpc/dispatch.ts'
import { EngineRpcNode } from '../rpc/engine-node.ts'
import { networkMethods } from '../rpc/network-methods.ts'
import { nodeRegistry } from '../rpc/node-methods.ts'
import { type RpcServer, startRpcServer } from '../rpc/server.ts'
import { nodeWalletMethods } from '../wallet/index.ts'
import { type AssembledNode, assembleNode } from './assemble.ts'
import { componentLog, LOG_FILE_NAME, type Logger } from './log.ts'
import { type MetricsServer, type NodeMetrics, nodeMetrics, startMetricsServer } from './metrics.ts'
import { logNetwork } from './net-log.ts'
import { networkView } from './network-view.ts'
import { nodeIdentity } from './node-identity.ts'
import { logSync, type SyncEventSource } from './sync-progress.ts'

export interface DaemonOptions {
  readonly settings: Settings
  /** The `daemon` component's log (log.ts); the others are its siblings. */
  readonly log: Logger
  /** Told the log file's path once the data directory is locked (the CLI appends lines to it). */
  readonly openLogFile?: (path: string) => void
  /** Handed the sync service as soon as the node has one (the CLI's progress bar listens). */
  readonly watchSync?: (sync: SyncEventSource) => void
}

export interface Daemon {
  readonly layout: DatadirLayout
  readonly node: AssembledNode
  readonly rpc: RpcServer
  readonly metrics: MetricsServer
  readonly genesis: LoadedGenesis
  /** Resolves once the daemon has stopped, with the reason it stopped for. */
  readonly stopped: Promise<StopReason>
  /** Stops everything (idempotent); resolves when done. */
  stop(reason?: StopReason): Promise<StopReason>
}

/** Why a daemon stopped: asked to (a signal, RPC `stop`), or a failure it cannot run through. */
export interface StopReason {
  readonly why: string
  readonly failed: boolean
}

/** Steps undone at stop, last started first. */
type Undo = { readonly what: string; readonly run: () => Promise<void> | void }

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  )
}

/** The masternode key the settings name, else the data directory's, else none. */
async function masternodeKey(s: Settings, layout: DatadirLayout): Promise<KeyPair | undefined> {
  const { secretKey, keyFile } = s.masternode
  if (secretKey !== undefined) return { secretKey, publicKey: getPublicKey(secretKey) }
  const path = keyFile ?? ((await exists(layout.masternodeKey)) ? layout.masternodeKey : undefined)
  if (path === undefined) return undefined
  const file = await loadKeyFile(path, { role: 'masternode', network: s.network })
  return { secretKey: file.secretKey, publicKey: file.publicKey }
}

/** Whether an `addnode` address is private or loopback (a LAN or one-host network). */
function privateAddress(text: string): boolean {
  const host = multiaddr(text).getComponents()[0]?.value ?? ''
  return (
    /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(host) ||
    host === '::1' ||
    host === 'localhost' ||
    /^f[cd]/i.test(host)
  )
}

function announced(s: Settings): string[] {
  return s.p2p.externalIp.flatMap((ip) => {
    const family = ip.includes(':') ? 'ip6' : 'ip4'
    const ws = s.p2p.tls === undefined ? 'ws' : 'tls/ws'
    return [`/${family}/${ip}/tcp/${s.p2p.port}`, `/${family}/${ip}/tcp/${s.p2p.wsPort}/${ws}`]
  })
}

/** Starts a node from `settings`; rejects (having undone what it did) if it cannot. */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { settings: s, log } = options
  const net = componentLog(log, 'net')
  const engineLog = componentLog(log, 'engine')
  const syncLog = componentLog(log, 'sync')
  const rpcLog = componentLog(log, 'rpc')
  // Redacted twice over: redactedSettings, and the log's own redaction of secret fields.
  log.info({ settings: redactedSettings(s) }, `starting a ${s.network} node`)
  if (s.genesis === undefined)
    throw new ConfigError(
      'CONFIG_MISSING_SETTING',
      `genesis: a ${s.network} node needs its network's genesis file: give --genesis FILE or genesis=FILE in time.conf (timecoin genesis new makes one; timecoin devnet runs a local network)`,
    )
  const genesis = await loadGenesisFile(s.genesis, { network: s.network })
  const tls = s.p2p.tls === undefined ? undefined : await readTlsFiles(s.p2p.tls)
  const defenceConfig = defenceSettings(s.defence)
  const layout = datadirLayout(s.datadir, s.network)
  const undo: Undo[] = []
  const unwind = async (): Promise<void> => {
    for (const step of undo.splice(0).reverse())
      try {
        await step.run()
      } catch (e) {
        log.error({ err: e }, `stopping: ${step.what} failed: ${(e as Error).message}`)
      }
  }
  try {
    const lock: DatadirLock = await lockDatadir(layout)
    undo.push({ what: 'releasing the data directory', run: () => lock.release() })
    options.openLogFile?.(join(layout.logs, LOG_FILE_NAME))
    log.info(
      { datadir: layout.dir, genesis: genesis.hashHex },
      `data directory ${layout.dir} (locked), genesis ${genesis.hashHex}`,
    )
    const identity = await nodeIdentity(layout.nodeKey, s.network)
    if (identity.created) log.info(`made a new node identity in ${layout.nodeKey}`)
    // Without a masternode key the node is a full node: its engine has no key at all (it follows
    // the chain and can never vote), not even its libp2p identity's.
    const mnKey = await masternodeKey(s, layout)
    // A pool of worker threads (throughput), or none: on the node's own thread a check costs no
    // thread hand-over, which at a devnet's light load is the shorter path to finality.
    let verifier: Ed25519Verifier
    if (s.verifyThreads === 0) verifier = createThreadVerifier()
    else {
      const pool: VerifierPool = createVerifierPool(s.verifyThreads)
      undo.push({ what: 'closing the verifier pool', run: () => pool.close() })
      verifier = pool
    }
    const defence = new Defence({ settings: defenceConfig })
    // The operator's bans (setban), composed with the defence's gate; listbanned shows both.
    // Saved in banlist.json at each change and taken back at start, as bitcoind's.
    const banFile = BanFile.inDir(layout.dir)
    const bans: BanList = new BanList({
      defence,
      onChange: () =>
        banFile
          .save(bans.saved())
          .catch((e) => net.warn(`cannot save the ban list: ${(e as Error).message}`)),
    })
    const savedBans = await banFile.load()
    if (savedBans.setAside !== undefined) net.warn(`ban list set aside: ${savedBans.setAside}`)
    bans.restore(savedBans.bans)
    let rpcNode: EngineRpcNode | undefined
    let walletObserver: ((n: Notification) => void) | undefined
    let metrics: NodeMetrics | undefined
    let failed: ((why: string) => void) | undefined
    const notify = (n: Notification): void => {
      rpcNode?.notify(n)
      walletObserver?.(n)
      metrics?.observe(n)
      if (n.type === 'alarm') engineLog.warn({ code: n.code }, n.message)
      else if (n.type === 'committed')
        engineLog.debug(
          { height: n.height, transactions: n.transactions },
          `block ${n.height} committed`,
        )
    }
    const addnode = s.p2p.addNode
    const node = await assembleNode({
      network: s.network,
      genesis: genesis.engine,
      store: lock.store,
      ...(mnKey === undefined ? {} : { key: mnKey, signer: nativeSigner(mnKey) }),
      masternode: mnKey !== undefined,
      ...(s.maxMempool === undefined
        ? {}
        : { mempool: { ...DEFAULT_MEMPOOL_LIMITS, maxCount: s.maxMempool } }),
      clock: wallClock,
      timers: wallTimers,
      verifier,
      privateKey: identity.privateKey,
      host: {
        ...(s.p2p.listen
          ? { listen: { host: s.p2p.bind, tcpPort: s.p2p.port, wsPort: s.p2p.wsPort } }
          : { listenAddresses: [] }),
        ...(s.p2p.externalIp.length === 0 ? {} : { announce: announced(s) }),
        maxConnections: s.p2p.maxConnections,
        ...(tls === undefined ? {} : { tls }),
      },
      defence,
      gater: bans.gater,
      discovery: {
        addnode,
        store: new FilePeerBookStore(layout.peers),
        allowPrivate: s.network === 'devnet' || addnode.some(privateAddress),
        onSaveError: (e) => net.warn({ err: e }, 'cannot save the peer book'),
      },
      gossip: {},
      wallet: {},
      sync: {},
      notify,
      onStoreError: (e) => {
        componentLog(log, 'store').fatal({ err: e }, 'a store write failed')
        failed?.(`a store write failed: ${(e as Error).message}`)
      },
    })
    // Stopping the host stops the engine runtime (a stop is a crash to the engine: what it wrote
    // is durable, what it had not written it never sent) and saves the peer book.
    undo.push({ what: 'stopping the network', run: () => node.host.stop() })
    bans.attach(() => node.host.getConnections())
    defence.addEventListener('peer:banned', (e) =>
      net.warn(
        { peer: e.detail.peer.toString(), code: e.detail.code },
        `banned ${e.detail.peer.toString()}: ${e.detail.reason}`,
      ),
    )
    logNetwork(node.host, net)
    const sync = node.host.services.sync
    if (sync !== undefined) {
      logSync(sync, syncLog)
      options.watchSync?.(sync)
    }

    let stopping: Promise<StopReason> | undefined
    let resolveStopped!: (r: StopReason) => void
    const stopped = new Promise<StopReason>((r) => {
      resolveStopped = r
    })
    const stop = (reason: StopReason = { why: 'asked to stop', failed: false }) => {
      stopping ??= (async () => {
        log.info(`stopping (${reason.why})`)
        await unwind()
        log.info('stopped')
        resolveStopped(reason)
        return reason
      })()
      return stopping
    }
    failed = (why) => {
      log.fatal(why)
      void stop({ why, failed: true })
    }

    rpcNode = new EngineRpcNode({
      network: s.network,
      engine: node.engine,
      genesisTxid: genesis.engine.genesis.txid,
      store: lock.store,
      submit: (tx) => {
        metrics?.submitted(tx)
        return node.service.submit(tx)
      },
      stop: () => void stop({ why: 'RPC stop', failed: false }),
    })
    const wallet = await nodeWalletMethods({
      keysDir: layout.keys,
      engine: node.engine,
      node: rpcNode,
      masternodeKey: mnKey,
    })
    walletObserver = wallet.observe
    log.info(
      `node wallet ${wallet.path} (${wallet.created ? 'new' : `${wallet.wallet.size} addresses`})`,
    )
    const registry = nodeRegistry(rpcNode).add(
      ...networkMethods(networkView(node, s.p2p.maxConnections)),
      ...wallet.methods,
      ...banMethods(bans, { defaultSeconds: defenceConfig.banDurationSeconds }),
    )
    const { user, password } = s.rpc
    const rpc = await startRpcServer({
      dispatcher: new RpcDispatcher(registry, {
        onInternalError: (method, e) => rpcLog.error({ method, err: e }, `${method} failed`),
      }),
      port: s.rpc.port,
      bind: s.rpc.bind,
      allowIp: s.rpc.allowIp,
      ...(user !== undefined && password !== undefined
        ? { credentials: { user, password } }
        : { cookieFile: layout.cookie }),
    })
    // Closed first at stop: no new request reaches a node that is going away.
    undo.push({ what: 'closing the RPC server', run: () => rpc.close() })
    metrics = nodeMetrics(node, { storeDir: layout.chaindata })
    const metricsServer = await startMetricsServer(metrics.registry, s.metrics.port, s.metrics.bind)
    undo.push({ what: 'closing the metrics server', run: () => metricsServer.close() })

    const role =
      mnKey === undefined
        ? 'full node'
        : node.engine.committee.members.some(
              (m) => bytesToHex(m.key) === bytesToHex(mnKey.publicKey),
            )
          ? `masternode ${bytesToHex(mnKey.publicKey)} (in the committee of epoch ${node.engine.committee.epoch})`
          : `masternode ${bytesToHex(mnKey.publicKey)} (not in the current committee: standing by)`
    const tip = node.engine.tip
    log.info({ height: tip?.height ?? 0 }, `${role}; chain at height ${tip?.height ?? 0}`)
    net.info({ peerId: node.host.peerId.toString() }, `peer id ${node.host.peerId.toString()}`)
    for (const a of node.host.getMultiaddrs()) net.info(`listening on ${a.toString()}`)
    if (addnode.length > 0) net.info(`addnode: ${addnode.join(', ')}`)
    const rpcAt = rpc.addresses.map((a) => `${a.address}:${a.port}`).join(', ')
    rpcLog.info(
      `JSON-RPC on ${rpcAt}${rpc.cookieFile === undefined ? '' : ` (cookie file ${rpc.cookieFile})`}`,
    )
    componentLog(log, 'metrics').info(`Prometheus metrics at ${metricsServer.url}`)
    log.info('ready')
    return { layout, node, rpc, metrics: metricsServer, genesis, stopped, stop }
  } catch (e) {
    await unwind()
    throw e
  }
}
