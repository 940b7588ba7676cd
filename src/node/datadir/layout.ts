/**
 * The data directory's layout (docs/OPERATIONS.md, "Data directory"): the root holds `time.conf`
 * and one folder per network, so a mainnet and a testnet node can share a root; each network's
 * folder holds the LevelDB store, keys, the peer book, logs, the RPC cookie and the pid file.
 * `prepareDatadir` creates the folders owner-only (0700). Every path the node writes is named
 * here and nowhere else.
 */
import { mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { NetworkName } from '../../core/primitives/network.ts'
import { DatadirError } from '../errors.ts'
import { restrictMode } from './atomic-file.ts'

export interface DatadirLayout {
  /** The root (`--datadir`, default ~/.timecoin): `time.conf` and one folder per network. */
  readonly root: string
  readonly network: NetworkName
  /** `<root>/<network>`: everything below is this network's. */
  readonly dir: string
  /** The LevelDB store; its LOCK file is the instance lock (lock.ts). */
  readonly chaindata: string
  /** Keys (0700): the masternode key and the libp2p identity, each 0600. */
  readonly keys: string
  readonly masternodeKey: string
  readonly nodeKey: string
  /** The peer book (JSON, replaced atomically). */
  readonly peers: string
  readonly logs: string
  /** The RPC cookie (`__cookie__:<hex>`, 0600), present while the node runs. */
  readonly cookie: string
  /** The running instance's pid, for the message that refuses a second one. */
  readonly pidFile: string
}

export function datadirLayout(root: string, network: NetworkName): DatadirLayout {
  const dir = join(root, network)
  const keys = join(dir, 'keys')
  return {
    root,
    network,
    dir,
    chaindata: join(dir, 'chaindata'),
    keys,
    masternodeKey: join(keys, 'masternode.key'),
    nodeKey: join(keys, 'node.key'),
    peers: join(dir, 'peers.json'),
    logs: join(dir, 'logs'),
    cookie: join(dir, '.cookie'),
    pidFile: join(dir, 'timecoin.pid'),
  }
}

async function directory(path: string, mode: number): Promise<void> {
  try {
    await mkdir(path, { recursive: true, mode })
    const s = await stat(path)
    if (!s.isDirectory()) throw new Error('not a directory')
  } catch (cause) {
    const why = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message
    throw new DatadirError(
      'DATADIR_UNUSABLE',
      `cannot use ${path} as a data directory (${why})`,
      undefined,
      { cause },
    )
  }
}

/** Creates the root, the network folder, keys and logs; keys is made owner-only even if it existed. */
export async function prepareDatadir(layout: DatadirLayout): Promise<void> {
  await directory(layout.root, 0o700)
  await directory(layout.dir, 0o700)
  await directory(layout.keys, 0o700)
  await restrictMode(layout.keys, 0o700)
  await directory(layout.logs, 0o700)
}
