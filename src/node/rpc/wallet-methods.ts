/**
 * The node wallet's RPC methods, as bitcoind names them: `getnewaddress`, `getbalance` (final,
 * pending, locked), `listunspent` (with each output's UTXO state), `sendtoaddress`,
 * `validateaddress`, and TIME Coin's `registermasternode` / `deregistermasternode` (a registration
 * with the tier's collateral, or a deregistration, for the node's masternode key or a given one).
 * Errors as bitcoind's: -4 wallet, -5 invalid address, -6 insufficient funds, -8 a parameter the
 * method cannot use. Invariants: a transaction is built, signed and handed to the node in one
 * call; a transaction the node refuses gives its inputs back to the wallet; no answer or error
 * carries a secret key or the mnemonic.
 */
import { getPublicKey, type KeyPair } from '../../core/crypto/ed25519.ts'
import { bytesToHex, fromHex } from '../../core/encoding/bytes.ts'
import { decodeAddress, encodeAddress } from '../../core/primitives/address.ts'
import { type Amount, formatAmount, MIN_FEE, parseAmount } from '../../core/primitives/amount.ts'
import { type RegistrableTier, TIERS } from '../../core/primitives/tier.ts'
import { computeTxid, type Transaction } from '../../core/primitives/transaction.ts'
import { txidToHex } from '../../core/primitives/txid.ts'
import { RpcError } from '../errors.ts'
import { type NodeWallet, tierNamed, type WalletOutput } from '../wallet/node-wallet.ts'
import { finalityJson, MAX_FINALITY_WAIT_MS } from './chain-methods.ts'
import { boolean, integer, optional, type ParamType, param, text } from './params.ts'
import type { RpcCall, RpcMethod } from './registry.ts'
import { rpcMethod } from './registry.ts'
import type { RpcNode } from './rpc-node.ts'

/** What the wallet methods need besides the wallet: the node (submit, finality, committee). */
export interface WalletNode {
  readonly wallet: NodeWallet
  readonly node: RpcNode
  /** This node's masternode key, when it has one. */
  readonly masternodeKey: KeyPair | undefined
  /** Whether `key` is in the committee now, or its registration is confirmed and pending. */
  registered(key: Uint8Array): boolean
}

const MAX_ADDRESS_FILTER = 1_000

function fail(message: string): never {
  throw new Error(message)
}

/** A TIME amount as a decimal string ("1.5") or a JSON number (as bitcoin-cli sends it). */
const amount: ParamType<Amount> = {
  name: 'amount (TIME)',
  read: (v) =>
    typeof v === 'string'
      ? parseAmount(v)
      : typeof v === 'number' && Number.isFinite(v)
        ? parseAmount(v.toFixed(8).replace(/\.?0+$/, ''))
        : fail('expected an amount in TIME, as a decimal string or a number'),
}

/** A 32-byte Ed25519 secret key as 64 hex digits. */
const secretKey: ParamType<Uint8Array> = {
  name: 'hex secret key',
  read: (v) =>
    typeof v === 'string' && /^[0-9a-fA-F]{64}$/.test(v)
      ? fromHex(v.toLowerCase(), 32)
      : fail('expected a 32-byte secret key as 64 hex digits'),
}

const tier: ParamType<RegistrableTier> = {
  name: 'tier',
  read: (v) =>
    (typeof v === 'string' ? tierNamed(v) : undefined) ?? fail('expected bronze, silver or gold'),
}

const addressList: ParamType<string[]> = {
  name: 'array of addresses',
  read: (v) =>
    Array.isArray(v) &&
    v.length <= MAX_ADDRESS_FILTER &&
    v.every((a) => typeof a === 'string' && a.length <= 100)
      ? (v as string[])
      : fail(`expected an array of at most ${MAX_ADDRESS_FILTER} addresses`),
}

const waitParam = optional(
  'waitfinal',
  integer(0, MAX_FINALITY_WAIT_MS),
  'milliseconds to wait for finality before answering (0: answer once the node took it)',
  0,
)

function invalidParameter(message: string): never {
  throw new RpcError('RPC_INVALID_PARAMETER', message)
}

function outputJson(o: WalletOutput) {
  return {
    txid: txidToHex(o.outpoint.txid),
    vout: o.outpoint.vout,
    address: o.address,
    amount: formatAmount(o.value),
    state: o.state,
    final: o.state !== 'Pending',
    confirmations: o.confirmations,
    spendable: o.spendable,
    ...(o.restricted === undefined ? {} : { locked: o.restricted }),
  }
}

/** Hands `tx` to the node (its inputs back to the wallet if refused), then waits if asked. */
async function send(w: WalletNode, tx: Transaction, waitMs: number, call: RpcCall) {
  const txid = computeTxid(tx)
  try {
    await w.node.submit(tx)
  } catch (e) {
    w.wallet.release(tx)
    throw e
  }
  if (waitMs === 0) return { txid: txidToHex(txid) }
  return {
    txid: txidToHex(txid),
    finality: finalityJson(await w.node.waitForFinality(txid, waitMs, call.signal)),
  }
}

/** The key to register or deregister: the given one, else the node's masternode key. */
function masternode(w: WalletNode, given: Uint8Array | undefined): KeyPair {
  if (given !== undefined) return { secretKey: given, publicKey: getPublicKey(given) }
  if (w.masternodeKey === undefined)
    throw new RpcError(
      'RPC_INVALID_PARAMETER',
      'this node has no masternode key (set masternodeprivkey or masternodekeyfile, or give one)',
    )
  return w.masternodeKey
}

export function walletMethods(w: WalletNode): RpcMethod[] {
  const { wallet } = w
  const net = w.node.network
  return [
    rpcMethod({
      name: 'getnewaddress',
      category: 'Wallet',
      summary: 'A new address of the node wallet (the next key derived from its BIP39 seed).',
      params: [],
      handler: () => wallet.newAddress(),
    }),
    rpcMethod({
      name: 'getbalance',
      category: 'Wallet',
      summary:
        'The node wallet’s balance in TIME: final (spendable now), pending (not final yet) and locked (collateral, or spent by a pending transaction).',
      params: [],
      handler: () => {
        const b = wallet.balance()
        return {
          final: formatAmount(b.final),
          pending: formatAmount(b.pending),
          locked: formatAmount(b.locked),
        }
      },
    }),
    rpcMethod({
      name: 'listunspent',
      category: 'Wallet',
      summary:
        'The node wallet’s unspent outputs with their UTXO state (Pending, Unspent, Locked, SpentPending), confirmations and whether they are spendable.',
      params: [
        optional('minconf', integer(0, 0x7fff_ffff), 'at least this many confirmations', 0),
        optional(
          'maxconf',
          integer(0, 0x7fff_ffff),
          'at most this many confirmations',
          0x7fff_ffff,
        ),
        optional('addresses', addressList, 'only outputs to these addresses'),
      ],
      handler: ({ minconf, maxconf, addresses }) => {
        const only =
          addresses === undefined
            ? undefined
            : new Set(addresses.map((a) => decodeAddress(a, net).address as string))
        return wallet
          .outputs()
          .filter(
            (o) =>
              o.confirmations >= minconf &&
              o.confirmations <= maxconf &&
              (only === undefined || only.has(o.address)),
          )
          .map(outputJson)
      },
    }),
    rpcMethod({
      name: 'sendtoaddress',
      category: 'Wallet',
      summary: `Pays an amount from the node wallet (fee ${formatAmount(MIN_FEE)} TIME); answers the txid, and with waitfinal its finality.`,
      params: [
        param('address', text(100), 'the address to pay'),
        param('amount', amount, 'TIME, as "1.5" or 1.5'),
        optional('subtractfeefromamount', boolean, 'the payee pays the fee', false),
        waitParam,
      ],
      handler: async ({ address, amount, subtractfeefromamount, waitfinal }, call) => {
        const to = decodeAddress(address, net)
        if (amount <= 0n) invalidParameter('amount must be above zero')
        if (subtractfeefromamount && amount <= MIN_FEE)
          invalidParameter(`amount must be above the fee (${formatAmount(MIN_FEE)} TIME)`)
        const tx = await wallet.build([{ value: amount, address: to.payload }], {
          ...(subtractfeefromamount ? { subtractFeeFrom: 0 } : {}),
        })
        const sent = await send(w, tx, waitfinal, call)
        return waitfinal === 0 ? sent.txid : sent
      },
    }),
    rpcMethod({
      name: 'validateaddress',
      category: 'Wallet',
      summary: 'Whether an address is valid on this network, and whether the node wallet holds it.',
      params: [param('address', text(200), 'the address')],
      handler: ({ address }) => {
        try {
          const d = decodeAddress(address, net)
          return {
            isvalid: true,
            address: encodeAddress(d.payload, net),
            payload: bytesToHex(d.payload),
            ismine: wallet.owns(d.payload),
          }
        } catch (e) {
          return { isvalid: false, address, error: (e as Error).message }
        }
      },
    }),
    rpcMethod({
      name: 'registermasternode',
      category: 'Wallet',
      summary:
        'Registers a masternode key (this node’s, or the given secret key’s): sends a registration with the tier’s collateral from the node wallet. It votes from the epoch after a block confirms it.',
      params: [
        optional('tier', tier, 'bronze (1,000 TIME), silver (10,000) or gold (100,000)', 'bronze'),
        optional('masternodeprivkey', secretKey, 'the key to register (default: this node’s)'),
        waitParam,
      ],
      handler: async ({ tier, masternodeprivkey, waitfinal }, call) => {
        const key = masternode(w, masternodeprivkey)
        if (w.registered(key.publicKey))
          invalidParameter(`masternode key ${bytesToHex(key.publicKey)} is already registered`)
        const tx = await wallet.buildRegistration(tier, key)
        const txid = txidToHex(computeTxid(tx))
        const sent = await send(w, tx, waitfinal, call)
        return {
          ...sent,
          tier,
          masternodekey: bytesToHex(key.publicKey),
          collateral: { txid, vout: 0, amount: formatAmount(TIERS[tier].collateral) },
        }
      },
    }),
    rpcMethod({
      name: 'deregistermasternode',
      category: 'Wallet',
      summary:
        'Deregisters a masternode key (this node’s, or the given secret key’s); its collateral unlocks two epochs after the block that applies it.',
      params: [
        optional('masternodeprivkey', secretKey, 'the key to deregister (default: this node’s)'),
        waitParam,
      ],
      handler: async ({ masternodeprivkey, waitfinal }, call) => {
        const key = masternode(w, masternodeprivkey)
        if (!w.registered(key.publicKey))
          invalidParameter(`masternode key ${bytesToHex(key.publicKey)} is not registered`)
        const tx = await wallet.buildDeregistration(key)
        return { ...(await send(w, tx, waitfinal, call)), masternodekey: bytesToHex(key.publicKey) }
      },
    }),
  ]
}
