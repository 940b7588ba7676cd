// Light wallets for network tests: a wallet host (handshake as a light client) with a LightClient
// driven by the WalletClient adapter, recording every event it reports, and waits bounded in
// time. Hosts are stopped by net-engines' `stopCluster`.
import type { Connection } from '@libp2p/interface'
import {
  type AddressPayload,
  bytesToHex,
  type Committee,
  LightClient,
  type LightClientConfig,
  type LightClientEvent,
  type TimeCoinError,
} from '../../src/core/index.ts'
import { WalletClient } from '../../src/core/net/index.ts'
import { GENESIS_HASH } from './ledger-fixture.ts'
import {
  addressesOf,
  type Masternode,
  startWallet,
  type Transport,
  until,
  type WalletHost,
} from './net-engines.ts'

export interface TestWallet {
  readonly host: WalletHost
  readonly client: LightClient
  readonly adapter: WalletClient
  /** Every event the client reported, in order. */
  readonly events: LightClientEvent[]
  /** Why each stream closed (undefined: closed normally). */
  readonly closed: (TimeCoinError | undefined)[]
  /** Opens (again) the wallet stream to `node`, over a connection of this host. */
  connect(node: Masternode): Promise<Connection>
  /** Resolves with the first event (from `since`) matching `match`; rejects after `ms`. */
  event(
    match: (e: LightClientEvent) => boolean,
    what: string,
    ms?: number,
    since?: number,
  ): Promise<LightClientEvent>
  /** Resolves once every address is in step with the masternode. */
  synced(addresses: readonly AddressPayload[], ms?: number): Promise<void>
}

/** A light wallet on `transport` whose genesis committee is `committee`. */
export async function openWallet(
  transport: Transport,
  committee: Committee,
  config: Partial<LightClientConfig> = {},
): Promise<TestWallet> {
  const host = await startWallet(transport)
  const client = new LightClient({
    genesisHash: GENESIS_HASH,
    genesisCommittee: committee,
    ...config,
  })
  const adapter = new WalletClient({ network: 'devnet', client })
  const events: LightClientEvent[] = []
  const closed: (TimeCoinError | undefined)[] = []
  adapter.addEventListener('event', (e) => events.push(e.detail))
  adapter.addEventListener('closed', (e) => closed.push(e.detail))
  // Stopped before the host (the adapter's timers end with its stream).
  const stop = host.stop.bind(host)
  host.stop = async () => {
    await adapter.close()
    await stop()
  }
  return {
    host,
    client,
    adapter,
    events,
    closed,
    async connect(node) {
      const connection = await host.dial(addressesOf(node.host, transport))
      await adapter.connect(connection, { handshake: host.services.handshake })
      return connection
    },
    async event(match, what, ms = 10_000, since = 0) {
      let found: LightClientEvent | undefined
      await until(
        () => {
          found = events.slice(since).find(match)
          return found !== undefined
        },
        what,
        ms,
      )
      return found!
    },
    async synced(addresses, ms = 10_000) {
      await until(
        () => addresses.every((a) => client.isSynced(a)),
        `${addresses.map((a) => bytesToHex(a).slice(0, 8)).join(', ')} in step`,
        ms,
      )
    },
  }
}
