/**
 * What a node sends a committee member whose link just came up (docs/PROTOCOL.md §19.6): its
 * final, unconfirmed transactions with their certificates first, then its pending ones, so a
 * member that restarted learns the locks the others hold before it is asked to vote on anything
 * that might conflict with them.
 *
 * Invariants: at most `max` messages; certificates before pending transactions; a stored
 * certificate that does not decode is skipped (never sent), any other failure is thrown.
 */
import { FinalityCertificateCodec } from '../../consensus/certificate.ts'
import type { FinalityEngine } from '../../engine/finality-engine.ts'
import type { Message } from '../../engine/messages.ts'
import { EncodingError } from '../../errors.ts'

/** The messages for a member whose link came up, certificates first (at most `max`). */
export function mempoolPush(engine: FinalityEngine, max: number): Message[] {
  const finalized: Message[] = []
  const pending: Message[] = []
  for (const e of engine.ledger.mempool.entries()) {
    if (finalized.length + pending.length >= max) break
    if (e.status === 'pending') {
      pending.push({ type: 'TransactionBroadcast', tx: e.tx })
      continue
    }
    const bytes = engine.ledger.certificate(e.txid)
    if (bytes === undefined) continue
    try {
      const certificate = FinalityCertificateCodec.decode(bytes)
      finalized.push({ type: 'FinalityCertificate', tx: e.tx, certificate })
    } catch (error) {
      if (!(error instanceof EncodingError)) throw error
    }
  }
  return [...finalized, ...pending]
}
