// The node wallet (src/node/wallet) over a fake ledger view: its file is made 0600 with a valid
// mnemonic and refused when others can read it or it is of another network; addresses survive a
// reopen; coin selection spends only final, unrestricted, unreserved outputs, never one output
// twice, and gives a refused transaction's inputs back; registrations and deregistrations it builds
// pass the ledger's structure, dust and signature checks (the proof included); short funds are
// WALLET_INSUFFICIENT_FUNDS.
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { generateKeyPair } from '../../../src/core/crypto/ed25519.ts'
import { sha256 } from '../../../src/core/crypto/sha256.ts'
import { bytesToHex, utf8ToBytes } from '../../../src/core/encoding/bytes.ts'
import type { MempoolEntry } from '../../../src/core/ledger/mempool.ts'
import { verifyTransaction } from '../../../src/core/ledger/tx-verify.ts'
import type { UtxoEntry } from '../../../src/core/ledger/utxo-state.ts'
import {
  addressPayloadFromPublicKey,
  decodeAddress,
  encodeAddress,
} from '../../../src/core/primitives/address.ts'
import { type Amount, COIN, MIN_FEE } from '../../../src/core/primitives/amount.ts'
import { type OutPoint, outPointToString } from '../../../src/core/primitives/outpoint.ts'
import { computeTxid } from '../../../src/core/primitives/transaction.ts'
import type { Txid } from '../../../src/core/primitives/txid.ts'
import {
  loadWalletFile,
  NodeWallet,
  openWalletFile,
  RESCAN_INTERVAL_MS,
  type WalletChainView,
} from '../../../src/node/wallet/index.ts'
import { typedErrorOf, typedRejectionOf } from '../../support/error-code.ts'

const genesisHash = sha256(utf8ToBytes('node wallet test genesis'))
const dirs: string[] = []

afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function walletPath(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'timecoin-wallet-'))
  dirs.push(dir)
  return join(dir, 'wallet.json')
}

/** A ledger of outputs the test sets, with restrictions and mempool spends. */
class FakeView implements WalletChainView {
  readonly network = 'devnet' as const
  readonly genesisHash = genesisHash
  readonly entries = new Map<string, UtxoEntry>()
  readonly collateral = new Set<string>()
  readonly spent = new Map<string, Txid>()
  outputs() {
    return this.entries.values()
  }
  utxo(o: OutPoint) {
    return this.entries.get(outPointToString(o))
  }
  mempool(): MempoolEntry[] {
    return []
  }
  mempoolSpender(o: OutPoint) {
    return this.spent.get(outPointToString(o))
  }
  spendRule(o: OutPoint) {
    return this.collateral.has(outPointToString(o)) ? ('collateral' as const) : undefined
  }
  tipHeight() {
    return 10
  }
  fund(address: string, value: bigint, n: number): OutPoint {
    const outpoint = { txid: sha256(utf8ToBytes(`coin ${n}`)) as Txid, vout: 0 }
    this.entries.set(outPointToString(outpoint), {
      outpoint,
      output: { value: value as Amount, address: decodeAddress(address, 'devnet').payload },
      height: 5,
      state: { kind: 'Unspent' },
    })
    return outpoint
  }
}

async function newWallet(view = new FakeView()) {
  const path = await walletPath()
  const { wallet: file, created } = await openWalletFile(path, 'devnet')
  return { wallet: new NodeWallet(path, file, view), view, path, created }
}

describe('node wallet', () => {
  it('makes its file 0600 and refuses one others can read or of another network', async () => {
    const { wallet, path, created } = await newWallet()
    expect(created).toBe(true)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    const a = await wallet.newAddress()
    const b = await wallet.newAddress()
    expect(a).not.toBe(b)
    // Reopened, the same addresses are the wallet's.
    const file = await loadWalletFile(path, 'devnet')
    expect(file.nextIndex).toBe(2)
    const again = new NodeWallet(path, file, new FakeView())
    expect(again.owns(decodeAddress(b, 'devnet').payload)).toBe(true)
    expect(await typedRejectionOf(loadWalletFile(path, 'testnet'))).toBe(
      'WalletError:WALLET_FILE_INVALID',
    )
    await chmod(path, 0o644)
    expect(await typedRejectionOf(loadWalletFile(path, 'devnet'))).toBe(
      'WalletError:WALLET_FILE_INVALID',
    )
    await writeFile(path, '{"format":"timecoin-wallet"', { mode: 0o600 })
    await chmod(path, 0o600)
    expect(await typedRejectionOf(loadWalletFile(path, 'devnet'))).toBe(
      'WalletError:WALLET_FILE_INVALID',
    )
  })

  it('spends only final, unrestricted outputs, each once, and frees a refused one', async () => {
    const { wallet, view } = await newWallet()
    const mine = await wallet.newAddress()
    const big = view.fund(mine, 50n * COIN, 1)
    const locked = view.fund(mine, 1_000n * COIN, 2)
    const inMempool = view.fund(mine, 500n * COIN, 3)
    view.collateral.add(outPointToString(locked))
    view.spent.set(outPointToString(inMempool), sha256(utf8ToBytes('other')) as Txid)
    expect(wallet.balance()).toEqual({ final: 50n * COIN, pending: 0n, locked: 1_500n * COIN })
    const payee = generateKeyPair().publicKey
    const to = { value: (10n * COIN) as Amount, address: sha256(payee).slice(0, 20) as never }
    const tx = await wallet.build([to])
    expect(tx.inputs.map((i) => outPointToString(i.outpoint))).toEqual([outPointToString(big)])
    expect(tx.outputs[1]!.value).toBe(40n * COIN - MIN_FEE)
    await verifyTransaction(tx, computeTxid(tx), genesisHash)
    // The same output is not offered again while that transaction is unresolved.
    expect(await typedRejectionOf(wallet.build([to]))).toBe('WalletError:WALLET_INSUFFICIENT_FUNDS')
    wallet.release(tx)
    expect((await wallet.build([to])).inputs).toHaveLength(1)
  })

  it('spends the outputs of an imported key (the masternode key) and writes no key of it', async () => {
    const path = await walletPath()
    const { wallet: file } = await openWalletFile(path, 'devnet')
    const view = new FakeView()
    const masternode = generateKeyPair()
    const wallet = new NodeWallet(path, file, view, [masternode])
    expect(wallet.size).toBe(0)
    view.fund(
      encodeAddress(addressPayloadFromPublicKey(masternode.publicKey), 'devnet'),
      20n * COIN,
      9,
    )
    expect(wallet.balance().final).toBe(20n * COIN)
    const tx = await wallet.build([
      { value: COIN, address: addressPayloadFromPublicKey(generateKeyPair().publicKey) },
    ])
    expect(tx.inputs[0]!.publicKey).toEqual(masternode.publicKey)
    await verifyTransaction(tx, computeTxid(tx), genesisHash)
    // The change went to key 0, made for it and recorded in the file; the imported key was not.
    expect((await loadWalletFile(path, 'devnet')).nextIndex).toBe(1)
    expect(await readFile(path, 'utf8')).not.toContain(bytesToHex(masternode.secretKey))
  })

  it('learns new outputs from notifications, and from a whole scan at most once a minute', async () => {
    const path = await walletPath()
    const { wallet: file } = await openWalletFile(path, 'devnet')
    const view = new FakeView()
    let now = 0
    const wallet = new NodeWallet(path, file, view, [], () => now)
    const mine = await wallet.newAddress()
    view.fund(mine, COIN, 1)
    expect(wallet.balance().final).toBe(COIN)
    // Funded without a notification: not seen until the next scan is due.
    const second = view.fund(mine, 2n * COIN, 2)
    now += RESCAN_INTERVAL_MS - 1
    expect(wallet.balance().final).toBe(COIN)
    wallet.observe(view.utxo(second)!)
    expect(wallet.balance().final).toBe(3n * COIN)
    view.fund(mine, 4n * COIN, 3)
    now += 1
    expect(wallet.balance().final).toBe(7n * COIN)
    // An output of someone else's is not taken in.
    const other = encodeAddress(addressPayloadFromPublicKey(generateKeyPair().publicKey), 'devnet')
    wallet.observe(view.utxo(view.fund(other, 9n * COIN, 4))!)
    expect(wallet.outputs()).toHaveLength(3)
  })

  it('builds a registration and a deregistration the ledger accepts', async () => {
    const { wallet, view } = await newWallet()
    view.fund(await wallet.newAddress(), 1_000n * COIN + MIN_FEE + 5n * COIN, 1)
    const masternode = generateKeyPair()
    const reg = await wallet.buildRegistration('bronze', masternode)
    expect(reg.payload).toMatchObject({ type: 'register', tier: 'bronze', collateralVout: 0 })
    expect(reg.outputs[0]!.value).toBe(1_000n * COIN)
    expect(wallet.owns(reg.outputs[0]!.address)).toBe(true)
    await verifyTransaction(reg, computeTxid(reg), genesisHash)
    wallet.release(reg)
    const dereg = await wallet.buildDeregistration(masternode)
    expect(dereg.payload).toMatchObject({ type: 'deregister' })
    await verifyTransaction(dereg, computeTxid(dereg), genesisHash)
    // Another key put in the payload: the transaction no longer verifies.
    const forged = {
      ...dereg,
      payload: { ...dereg.payload, masternodeKey: generateKeyPair().publicKey },
    }
    expect(
      await typedRejectionOf(verifyTransaction(forged, computeTxid(forged), genesisHash)),
    ).toMatch(/^TransactionError:TX_(PAYLOAD_)?SIGNATURE$/)
    expect(
      typedErrorOf(
        () =>
          new NodeWallet('x', { network: 'testnet', mnemonic: '', account: 0, nextIndex: 0 }, view),
      ),
    ).toBe('WalletError:WALLET_FILE_INVALID')
  })
})
