// What a light client would do with each honest masternode's committee proof at the end of a
// run: walk it from the genesis committee, check every signature, and arrive exactly at the
// committee that masternode votes with now.
import {
  checkCommitteeProof,
  committeeHash,
  committeeProofBundle,
  equalBytes,
  loadCommitteeProof,
  TimeCoinError,
} from '../../../src/core/index.ts'
import type { SimMasternode } from './sim-masternode.ts'
import { verifySync } from './sync-verifier.ts'
import type { SimWorld } from './world.ts'

/** One line per up masternode whose stored proof does not prove its committee. */
export async function committeeProofFailures(
  world: SimWorld,
  nodes: readonly SimMasternode[],
): Promise<string[]> {
  const failures: string[] = []
  for (const m of nodes) {
    if (!m.up) continue
    const proof = await loadCommitteeProof(m.disk.open())
    try {
      const proven = checkCommitteeProof(world.committee, proof)
      const bundle = committeeProofBundle(proof, world.genesisHash)
      const bad = bundle.checks.findIndex((c) => !verifySync(c))
      if (bad !== -1) throw bundle.failure(bad)
      if (!equalBytes(committeeHash(proven), committeeHash(m.engine.committee)))
        failures.push(
          `mn${m.id}: committee proof ends at epoch ${proven.epoch}, node is at ${m.engine.committee.epoch}`,
        )
    } catch (e) {
      if (!(e instanceof TimeCoinError)) throw e
      failures.push(`mn${m.id}: committee proof invalid: ${e.message}`)
    }
  }
  return failures
}
