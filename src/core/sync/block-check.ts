/**
 * What a syncing node checks of each block a peer serves before it applies it: it is the next one
 * (height, parent), its body is the one its header commits to, its epoch and the committee its
 * header names for the next block are the ones the node's own replay of the registry gives, and
 * its certificate is for it and carries precommits of more than two thirds of the weight of the
 * committee voting on it. Pure; the certificate's signatures come back as a bundle, verified off
 * the state machine (natively, in batches, by the driver).
 */
import { blockHash, bodyMatchesHeader } from '../consensus/block.ts'
import { checkBlockCertificate } from '../consensus/block-certificate.ts'
import { committeeHash } from '../consensus/committee.ts'
import { entriesSignatureBundle } from '../consensus/quorum-proof.ts'
import type { ConfirmedTx, Registry } from '../consensus/registry.ts'
import type { SignatureBundle } from '../crypto/signature-bundle.ts'
import { equalBytes } from '../encoding/bytes.ts'
import { ConsensusError, PeerAction } from '../errors.ts'
import { computeTxid } from '../primitives/transaction.ts'
import type { CertifiedBlock } from '../protocol/sync-messages.ts'

/** A chain position: the last block applied (height 0 and the genesis hash before the first). */
export interface SyncTip {
  readonly height: number
  readonly hash: Uint8Array
}

function wrong(code: 'BLOCK_INVALID' | 'BLOCK_NOT_EXTENDING', message: string): ConsensusError {
  return new ConsensusError(code, message, PeerAction.LowToleranceError)
}

/**
 * Checks `served` as the block after `tip` under `registry` (the registry after `tip`); returns the
 * certificate's signatures to verify and the registry and tip after the block. Throws the typed
 * error (with its peer action) of the first rule it breaks.
 */
export function checkSyncedBlock(
  served: CertifiedBlock,
  tip: SyncTip,
  registry: Registry,
  genesisHash: Uint8Array,
): { readonly signatures: SignatureBundle; readonly registry: Registry; readonly tip: SyncTip } {
  const { block, certificate } = served
  const h = block.header
  const hash = blockHash(h)
  const at = `block ${h.height}`
  if (h.height !== tip.height + 1) throw wrong('BLOCK_INVALID', `${at}, expected ${tip.height + 1}`)
  if (!equalBytes(h.prevHash, tip.hash)) throw wrong('BLOCK_NOT_EXTENDING', `${at}: another parent`)
  if (certificate.height !== h.height || !equalBytes(certificate.blockHash, hash))
    throw wrong('BLOCK_INVALID', `${at}: the certificate is for another block`)
  const committee = registry.committee
  if (h.epoch !== committee.epoch)
    throw wrong('BLOCK_INVALID', `${at}: epoch ${h.epoch}, the chain is at ${committee.epoch}`)
  if (!bodyMatchesHeader(block)) throw wrong('BLOCK_INVALID', `${at}: the body does not match`)
  checkBlockCertificate(certificate, committee)
  const withTxid = (tx: ConfirmedTx['tx']): ConfirmedTx => ({ tx, txid: computeTxid(tx) })
  const next = registry.afterBlock(
    h.height,
    block.transactions.map(withTxid),
    block.carried.map(withTxid),
  ).registry
  if (!equalBytes(h.committeeHash, committeeHash(next.committee)))
    throw wrong('BLOCK_INVALID', `${at}: names another committee for the next block`)
  return {
    signatures: entriesSignatureBundle(certificate.entries, genesisHash),
    registry: next,
    tip: { height: h.height, hash },
  }
}
