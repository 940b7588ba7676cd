/**
 * The RPC methods that need only a node's chain, ledger and mempool (not the network): bitcoind's
 * names and shapes where bitcoind has the method, TIME Coin's own for finality and UTXO states.
 * Each is a read over `RpcNode`, except `sendrawtransaction` (through `RpcNode.submit`) and the
 * bounded `waittransactionfinality`. Invariants: a method's parameters are checked before it runs
 * (params.ts); a transaction is decoded strictly before anything sees it; a missing block,
 * transaction or output is RPC_NOT_FOUND, never null where bitcoind errors.
 */
import { blockHash } from '../../core/consensus/block.ts'
import { bytesToHex, equalBytes } from '../../core/encoding/bytes.ts'
import { formatAmount, MIN_FEE } from '../../core/primitives/amount.ts'
import {
  computeTxid,
  decodeTransaction,
  encodeTransaction,
  MAX_TX_SIZE,
} from '../../core/primitives/transaction.ts'
import { type Txid, txidToHex } from '../../core/primitives/txid.ts'
import { RpcError } from '../errors.ts'
import { blockJson, transactionJson, utxoJson } from './json-views.ts'
import {
  boolean,
  hash32,
  hexBytes,
  integer,
  optional,
  type ParamType,
  param,
  txid,
} from './params.ts'
import { type RpcMethod, rpcMethod } from './registry.ts'
import type { FinalityStatus, RpcNode } from './rpc-node.ts'

/** The longest `waittransactionfinality` may wait (ms); the HTTP request timeout is above it. */
export const MAX_FINALITY_WAIT_MS = 60_000
export const DEFAULT_FINALITY_WAIT_MS = 30_000

const U32_MAX = 0xffff_ffff
const vout = integer(0, U32_MAX)
const rawTx = hexBytes(MAX_TX_SIZE)

/** getblock's verbosity: 0, 1, 2, or bitcoind's older boolean (true = 1). */
const verbosity: ParamType<number> = {
  name: 'verbosity 0…2',
  read: (v) => (typeof v === 'boolean' ? (v ? 1 : 0) : integer(0, 2).read(v)),
}

function notFound(message: string): never {
  throw new RpcError('RPC_NOT_FOUND', message)
}

export function finalityJson(s: FinalityStatus) {
  return {
    txid: txidToHex(s.txid),
    status: s.status,
    final: s.status === 'final' || s.status === 'confirmed',
    epoch: s.epoch,
    acceptweight: s.acceptWeight,
    threshold: s.threshold,
    totalweight: s.totalWeight,
    decision: s.decision?.kind ?? null,
    ...(s.decision?.kind === 'reject' ? { conflict: txidToHex(s.decision.conflictingTxid) } : {}),
    ...(s.certificate === undefined ? {} : { certificate: bytesToHex(s.certificate) }),
    ...(s.block === undefined
      ? {}
      : { blockheight: s.block.height, blockhash: bytesToHex(s.block.hash) }),
  }
}

export function chainMethods(node: RpcNode): RpcMethod[] {
  const net = node.network
  const tipHeight = () => node.tip().height
  return [
    rpcMethod({
      name: 'getblockchaininfo',
      category: 'Blockchain',
      summary: 'The chain: network, height, tip, genesis hash, epoch and its committee.',
      params: [],
      handler: () => {
        const tip = node.tip()
        const committee = node.committee()
        const utxos = node.utxoSummary()
        return {
          chain: net,
          blocks: tip.height,
          bestblockhash: bytesToHex(tip.hash),
          genesishash: bytesToHex(node.genesisHash),
          epoch: committee.epoch,
          committee: {
            members: committee.members.length,
            voters: committee.voters.length,
            totalweight: committee.totalWeight,
            threshold: committee.threshold,
          },
          utxos: { count: utxos.count, total: formatAmount(utxos.total) },
          warnings: '',
        }
      },
    }),
    rpcMethod({
      name: 'getblockcount',
      category: 'Blockchain',
      summary: 'The height of the tip (0 before the first block).',
      params: [],
      handler: () => tipHeight(),
    }),
    rpcMethod({
      name: 'getbestblockhash',
      category: 'Blockchain',
      summary: 'The hash of the tip (the genesis hash before the first block).',
      params: [],
      handler: () => bytesToHex(node.tip().hash),
    }),
    rpcMethod({
      name: 'getblockhash',
      category: 'Blockchain',
      summary: 'The hash of the committed block at a height (0: the genesis hash).',
      params: [param('height', integer(0, U32_MAX), 'the height')],
      handler: async ({ height }) => {
        if (height === 0) return bytesToHex(node.genesisHash)
        const b = await node.block(height)
        if (b === undefined) notFound(`block height ${height} out of range (tip ${tipHeight()})`)
        return bytesToHex(blockHash(b.block.header))
      },
    }),
    rpcMethod({
      name: 'getblock',
      category: 'Blockchain',
      summary:
        'A committed block: 0 its encoding (hex), 1 header, txids, reward and certificate, 2 with transactions decoded.',
      params: [
        param('blockhash', hash32, 'the block hash'),
        optional('verbosity', verbosity, '0, 1 or 2', 1),
      ],
      handler: async ({ blockhash, verbosity }) => {
        const height = await node.blockHeight(blockhash)
        if (height === undefined) notFound(`block not found: ${bytesToHex(blockhash)}`)
        const tip = tipHeight()
        if (height === 0) {
          if (verbosity === 0) notFound('the genesis has no block encoding (see its genesis file)')
          return {
            hash: bytesToHex(node.genesisHash),
            confirmations: tip + 1,
            height: 0,
            genesis: true,
            tx: [txidToHex(node.genesisTxid)],
          }
        }
        const b = await node.block(height)
        if (b === undefined) notFound(`block not found: ${bytesToHex(blockhash)}`)
        return blockJson(b, verbosity, net, tip)
      },
    }),
    rpcMethod({
      name: 'gettxout',
      category: 'Blockchain',
      summary:
        'An unspent output, or null when it is spent or unknown (include_mempool: a locked or pending spend counts as spent).',
      params: [
        param('txid', txid, 'the transaction id'),
        param('n', vout, 'the output index'),
        optional(
          'include_mempool',
          boolean,
          'treat outputs locked by pending transactions as spent',
          true,
        ),
      ],
      handler: ({ txid, n, include_mempool }) => {
        const e = node.utxo({ txid, vout: n })
        if (e === undefined) return null
        const kind = e.state.kind
        const live = include_mempool
          ? kind === 'Unspent'
          : kind !== 'SpentFinalized' && kind !== 'Confirmed'
        if (!live) return null
        return { bestblock: bytesToHex(node.tip().hash), ...utxoJson(e, net, tipHeight()) }
      },
    }),
    rpcMethod({
      name: 'getutxostate',
      category: 'Blockchain',
      summary:
        "An output's state — Unspent, Locked, SpentPending, SpentFinalized or Confirmed — with its spender and votes.",
      params: [param('txid', txid, 'the transaction id'), param('n', vout, 'the output index')],
      handler: ({ txid, n }) => {
        const e = node.utxo({ txid, vout: n })
        if (e === undefined) notFound(`no output ${txidToHex(txid)}:${n} here`)
        return utxoJson(e, net, tipHeight())
      },
    }),
    rpcMethod({
      name: 'gettxoutsetinfo',
      category: 'Blockchain',
      summary: 'The live outputs: count, total and LtHash commitment, at the tip.',
      params: [],
      handler: () => {
        const tip = node.tip()
        const s = node.utxoSummary()
        return {
          height: tip.height,
          bestblock: bytesToHex(tip.hash),
          txouts: s.count,
          total_amount: formatAmount(s.total),
          commitment: bytesToHex(s.commitment),
        }
      },
    }),
    rpcMethod({
      name: 'getrawtransaction',
      category: 'Rawtransactions',
      summary:
        'A transaction in the mempool or a recent block (no index of older ones): hex, or decoded when verbose.',
      params: [
        param('txid', txid, 'the transaction id'),
        optional('verbose', boolean, 'decode it', false),
        optional('blockhash', hash32, 'look in this block'),
      ],
      handler: async ({ txid, verbose, blockhash }) => {
        const where = await findTransaction(node, txid, blockhash)
        if (where === undefined)
          notFound(`no mempool or recent block transaction ${txidToHex(txid)} here`)
        const hex = bytesToHex(encodeTransaction(where.tx))
        if (!verbose) return hex
        const tip = tipHeight()
        return {
          hex,
          ...transactionJson(where.tx, net),
          ...(where.block === undefined
            ? { status: where.final ? 'final' : 'pending' }
            : {
                status: 'confirmed',
                blockhash: bytesToHex(where.block.hash),
                blockheight: where.block.height,
                confirmations: tip - where.block.height + 1,
              }),
        }
      },
    }),
    rpcMethod({
      name: 'decoderawtransaction',
      category: 'Rawtransactions',
      summary: 'Decodes a signed transaction (hex) strictly.',
      params: [param('hexstring', rawTx, 'the signed transaction')],
      handler: ({ hexstring }) => transactionJson(decodeTransaction(hexstring).tx, net),
    }),
    rpcMethod({
      name: 'sendrawtransaction',
      category: 'Rawtransactions',
      summary:
        'Submits a signed transaction (hex) for finality; answers its txid once the node took it.',
      params: [param('hexstring', rawTx, 'the signed transaction')],
      handler: async ({ hexstring }) => {
        const { tx, txid } = decodeTransaction(hexstring)
        await node.submit(tx)
        return txidToHex(txid)
      },
    }),
    rpcMethod({
      name: 'gettransactionfinality',
      category: 'Finality',
      summary:
        "A transaction's finality here: unknown, pending (with the Accept weight counted), final (with its certificate) or confirmed.",
      params: [param('txid', txid, 'the transaction id')],
      handler: ({ txid }) => finalityJson(node.finality(txid)),
    }),
    rpcMethod({
      name: 'waittransactionfinality',
      category: 'Finality',
      summary: `Waits until a transaction is final here, or for the timeout (ms, at most ${MAX_FINALITY_WAIT_MS}); answers as gettransactionfinality.`,
      params: [
        param('txid', txid, 'the transaction id'),
        optional(
          'timeout',
          integer(0, MAX_FINALITY_WAIT_MS),
          'milliseconds',
          DEFAULT_FINALITY_WAIT_MS,
        ),
      ],
      handler: async ({ txid, timeout }, call) =>
        finalityJson(await node.waitForFinality(txid, timeout, call.signal)),
    }),
    rpcMethod({
      name: 'getmempoolinfo',
      category: 'Mempool',
      summary: 'The mempool: transactions pending and final, bytes, limits, minimum fee.',
      params: [],
      handler: () => {
        const m = node.mempool()
        let finalized = 0
        for (const e of m.entries()) if (e.status === 'finalized') finalized++
        return {
          size: m.count,
          bytes: m.bytes,
          pending: m.count - finalized,
          finalized,
          maxcount: m.limits.maxCount,
          maxbytes: m.limits.maxBytes,
          minfee: formatAmount(MIN_FEE),
        }
      },
    }),
    rpcMethod({
      name: 'getrawmempool',
      category: 'Mempool',
      summary: 'The txids in the mempool, or with verbose each one with its size, fee and status.',
      params: [optional('verbose', boolean, 'describe each one', false)],
      handler: ({ verbose }) => {
        const entries = [...node.mempool().entries()]
        if (!verbose) return entries.map((e) => txidToHex(e.txid))
        return Object.fromEntries(
          entries.map((e) => [
            txidToHex(e.txid),
            { size: e.size, fee: formatAmount(e.fee), status: e.status, voted: e.voted },
          ]),
        )
      },
    }),
  ]
}

async function findTransaction(node: RpcNode, id: Txid, blockhash: Uint8Array | undefined) {
  if (blockhash === undefined) {
    const where = node.transaction(id)
    if (where === undefined) return undefined
    return { tx: where.tx, block: where.block, final: where.mempool?.status === 'finalized' }
  }
  const height = await node.blockHeight(blockhash)
  if (height === undefined) notFound(`block not found: ${bytesToHex(blockhash)}`)
  const b = await node.block(height)
  const tx = b?.block.transactions.find((t) => equalBytes(computeTxid(t), id))
  if (b === undefined || tx === undefined) return undefined
  return { tx, block: { height, hash: blockhash }, final: true }
}
