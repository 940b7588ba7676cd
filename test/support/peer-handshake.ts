// The handshake service of a node that is no masternode — a full node or a light client — on the
// test devnets (the genesis of ledger-fixture): one definition for the Node helpers, the wallet
// swarm and the Chromium page. Pure (no node: imports).
import { handshake } from '../../src/core/net/handshake/index.ts'
import { PeerRole } from '../../src/core/protocol/handshake.ts'
import { GENESIS_HASH } from './ledger-fixture.ts'

export function peerHandshake(
  role: typeof PeerRole.FullNode | typeof PeerRole.LightClient,
  timeoutMs = 5_000,
) {
  return handshake({
    network: 'devnet',
    genesisHash: GENESIS_HASH,
    role,
    tip: () => ({ height: 0, hash: GENESIS_HASH }),
    timeoutMs,
  })
}

/** Kept for the roles' names at call sites. */
export { PeerRole }
