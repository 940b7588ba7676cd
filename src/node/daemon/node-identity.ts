/**
 * The node's libp2p identity, kept in `keys/node.key` (a key file of role `node`: 0600, never
 * overwritten) so its peer id — what other nodes' peer books and `addnode` lines name — is the
 * same after every restart. Created on first start. The Ed25519 secret is the libp2p key's seed.
 */
import { access } from 'node:fs/promises'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { generateKeyPair, type KeyPair } from '../../core/crypto/ed25519.ts'
import type { NetworkName } from '../../core/primitives/network.ts'
import { loadKeyFile, saveKeyFile } from '../datadir/key-file.ts'

export interface NodeIdentity {
  /** The Ed25519 pair (a full node's engine key: in no committee). */
  readonly key: KeyPair
  readonly privateKey: PrivateKey
  /** Whether this start made it. */
  readonly created: boolean
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  )
}

/** Loads the identity at `path`, creating it first when there is none. */
export async function nodeIdentity(path: string, network: NetworkName): Promise<NodeIdentity> {
  const created = !(await exists(path))
  if (created) await saveKeyFile(path, { ...generateKeyPair(), role: 'node', network })
  const file = await loadKeyFile(path, { role: 'node', network })
  const key = { publicKey: file.publicKey, secretKey: file.secretKey }
  return { key, privateKey: await generateKeyPairFromSeed('Ed25519', file.secretKey), created }
}
