/**
 * The JSON shapes RPC answers give protocol objects, in bitcoind's spirit (lowercase keys, hex
 * hashes, `confirmations`) with TIME Coin's differences: amounts are decimal TIME strings
 * ("12.5"), exact where a JSON number would round; addresses are `TIME…` text of the node's
 * network; outputs carry their UTXO state. One function per object, so every method shows an
 * object the same way.
 */
import type { Block, BlockHeader } from '../../core/consensus/block.ts'
import { BlockCodec, blockHash } from '../../core/consensus/block.ts'
import { BlockCertificateCodec } from '../../core/consensus/block-certificate.ts'
import { bytesToHex } from '../../core/encoding/bytes.ts'
import type { CertifiedBlock } from '../../core/engine/recent-blocks.ts'
import type { UtxoEntry } from '../../core/ledger/utxo-state.ts'
import { encodeAddress } from '../../core/primitives/address.ts'
import { formatAmount } from '../../core/primitives/amount.ts'
import type { NetworkName } from '../../core/primitives/network.ts'
import {
  computeTxid,
  type Transaction,
  type TxOutput,
  transactionSize,
} from '../../core/primitives/transaction.ts'
import { txidToHex } from '../../core/primitives/txid.ts'

export function outputJson(o: TxOutput, n: number, network: NetworkName) {
  return { n, value: formatAmount(o.value), address: encodeAddress(o.address, network) }
}

function payloadJson(tx: Transaction, network: NetworkName) {
  const p = tx.payload
  switch (p.type) {
    case 'none':
      return { type: 'none' }
    case 'register':
      return {
        type: 'register',
        tier: p.tier,
        masternodekey: bytesToHex(p.masternodeKey),
        collateralvout: p.collateralVout,
      }
    case 'deregister':
      return { type: 'deregister', masternodekey: bytesToHex(p.masternodeKey) }
    case 'slash':
      return {
        type: 'slash',
        reporter: encodeAddress(p.reporter, network),
        evidencebytes: p.evidence.length,
      }
  }
}

/** A transaction decoded: txid, size, inputs (outpoint, key, signature), outputs, payload. */
export function transactionJson(tx: Transaction, network: NetworkName) {
  return {
    txid: txidToHex(computeTxid(tx)),
    version: tx.version,
    size: transactionSize(tx),
    locktime: tx.lockTime,
    payload: payloadJson(tx, network),
    vin: tx.inputs.map((i) => ({
      txid: txidToHex(i.outpoint.txid),
      vout: i.outpoint.vout,
      publickey: bytesToHex(i.publicKey),
      signature: bytesToHex(i.signature),
    })),
    vout: tx.outputs.map((o, n) => outputJson(o, n, network)),
  }
}

/** Every header field, keys lowercased, hashes and keys as hex. */
export function headerJson(header: BlockHeader, tipHeight: number) {
  const fields = Object.fromEntries(
    Object.entries(header).map(([k, v]) => [
      k.toLowerCase(),
      v instanceof Uint8Array ? bytesToHex(v) : v,
    ]),
  )
  return {
    hash: bytesToHex(blockHash(header)),
    confirmations: tipHeight - header.height + 1,
    ...fields,
  }
}

/**
 * `getblock` at a verbosity: 0 the block's encoding (hex); 1 the header, txids, reward and
 * certificate; 2 the same with each transaction decoded.
 */
export function blockJson(
  { block, certificate }: CertifiedBlock,
  verbosity: number,
  network: NetworkName,
  tipHeight: number,
) {
  if (verbosity === 0) return bytesToHex(BlockCodec.encode(block))
  const txs = (list: Block['transactions']) =>
    list.map((tx) => (verbosity >= 2 ? transactionJson(tx, network) : txidToHex(computeTxid(tx))))
  return {
    ...headerJson(block.header, tipHeight),
    size: BlockCodec.encode(block).length,
    ntx: block.transactions.length,
    tx: txs(block.transactions),
    reward: block.reward.map((o, n) => outputJson(o, n, network)),
    carried: txs(block.carried),
    certificate: bytesToHex(BlockCertificateCodec.encode(certificate)),
  }
}

/** An output with its state: who locked or spent it, the votes seen, the confirming height. */
export function utxoJson(e: UtxoEntry, network: NetworkName, tipHeight: number) {
  const s = e.state
  return {
    txid: txidToHex(e.outpoint.txid),
    vout: e.outpoint.vout,
    ...outputJson(e.output, e.outpoint.vout, network),
    height: e.height,
    confirmations: e.height === null ? 0 : tipHeight - e.height + 1,
    state: s.kind,
    ...(s.kind === 'Unspent' ? {} : { spender: txidToHex(s.txid) }),
    ...(s.kind === 'SpentPending' ? { votes: s.votes } : {}),
    ...(s.kind === 'Confirmed' ? { spentheight: s.height } : {}),
  }
}
