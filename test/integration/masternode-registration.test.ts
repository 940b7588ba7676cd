// A masternode joins the committee through a registration transaction, over real processes: a
// devnet of four masternodes (src/node/devnet) finalizes payments; a fifth `timecoin masternode`
// process starts with a masternode key that is in no committee, answers the node wallet's RPC
// errors as bitcoind would (-5, -6, -8), gets funds from the devnet's faucet at an address of its
// own wallet (`getnewaddress`), and calls `registermasternode`. Once a block confirms the
// registration, the next block changes the committee: every node lists the new member, its epoch
// is one more, it says it votes, and a payment sent afterwards carries its own Accept vote.
// Then `deregistermasternode` takes it out again at the following epoch change. Ports are free
// ones, every wait is bounded, and every process is stopped in teardown.
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKeyPair } from '../../src/core/crypto/ed25519.ts'
import { bytesToHex } from '../../src/core/encoding/bytes.ts'
import { addressPayloadFromPublicKey, decodeAddress } from '../../src/core/primitives/address.ts'
import { type Amount, COIN, MIN_FEE, parseAmount } from '../../src/core/primitives/amount.ts'
import { computeTxid, encodeTransaction } from '../../src/core/primitives/transaction.ts'
import { signTransaction } from '../../src/core/primitives/transaction-signing.ts'
import { txidToHex } from '../../src/core/primitives/txid.ts'
import { saveKeyFile } from '../../src/node/datadir/key-file.ts'
import { datadirLayout } from '../../src/node/datadir/layout.ts'
import { NodeProcess, stopAll } from '../../src/node/devnet/children.ts'
import type { Devnet } from '../../src/node/devnet/devnet.ts'
import type { Coin } from '../../src/node/devnet/payment-demo.ts'
import { planPorts } from '../../src/node/devnet/port-plan.ts'
import { readCookie } from '../../src/node/rpc/auth.ts'
import { RemoteRpcError, rpcCall } from '../../src/node/rpc/client.ts'
import {
  eventually,
  pay,
  runCli,
  startTestDevnet,
  stopDevnets,
  tempDir,
} from '../support/devnet-processes.ts'

let devnet: Devnet
let coin: Coin
let fifth: NodeProcess | undefined
let fifthDir: string
let call: (method: string, params?: readonly unknown[]) => Promise<unknown>
const mnKey = generateKeyPair()
const mnKeyHex = bytesToHex(mnKey.publicKey)

interface Member {
  key: string
  weight: number
}
interface ConsensusInfo {
  voting: boolean
  linksconnected: number
  linkswanted: number
  epoch: number
  totalweight: number
  members: Member[]
}

beforeAll(async () => {
  devnet = await startTestDevnet(4)
  coin = (await devnet.demoCoin())!
  const dir = await tempDir('timecoin-fifth-')
  fifthDir = dir
  const [ports] = (await planPorts(1, false)).ports
  await saveKeyFile(join(dir, 'masternode.key'), {
    ...mnKey,
    role: 'masternode',
    network: 'devnet',
  })
  const conf = [
    'network=devnet',
    `genesis=${devnet.genesisFile}`,
    'masternodekeyfile=masternode.key',
    'bind=127.0.0.1',
    `port=${ports!.p2p}`,
    `wsport=${ports!.ws}`,
    `rpcport=${ports!.rpc}`,
    `metricsport=${ports!.metrics}`,
    ...devnet.nodes.map((n) => `addnode=/ip4/127.0.0.1/tcp/${n.ports.p2p}`),
    'exempt_loopback=1',
    'verifythreads=0',
    '',
  ].join('\n')
  await writeFile(join(dir, 'time.conf'), conf, { mode: 0o600 })
  fifth = new NodeProcess('masternode 5', ['--datadir', dir], join(dir, 'masternode.log'))
  const cookie = datadirLayout(dir, 'devnet').cookie
  const url = `http://127.0.0.1:${ports!.rpc}/`
  call = async (method, params = []) =>
    rpcCall({ url, credentials: await readCookie(cookie), timeoutMs: 70_000 }, method, [...params])
  await eventually(() => call('getblockcount'), 'the fifth node answers RPC', 60_000)
}, 180_000)

afterAll(async () => {
  if (fifth !== undefined) await stopAll([fifth], 12_000)
  await stopDevnets()
}, 60_000)

/** The JSON-RPC error code `p` is refused with (undefined when it succeeds). */
async function rpcCode(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p
    return undefined
  } catch (e) {
    if (e instanceof RemoteRpcError) return e.code
    throw e
  }
}

describe('a masternode registered by transaction', () => {
  let address: string

  it('starts outside the committee, with a wallet that answers bitcoind’s errors', async () => {
    const info = (await call('getconsensusinfo')) as ConsensusInfo
    expect(info.voting).toBe(false)
    expect(info.members.map((m) => m.key)).not.toContain(mnKeyHex)
    address = (await call('getnewaddress')) as string
    // `help` lists the wallet's methods; its file is owner-only and its mnemonic is in no log.
    expect(await call('help')).toMatch(/== Wallet ==[^=]*registermasternode/)
    expect(await call('help', ['sendtoaddress'])).toMatch(/waitfinal/)
    const walletFile = join(datadirLayout(fifthDir, 'devnet').keys, 'wallet.json')
    expect((await stat(walletFile)).mode & 0o777).toBe(0o600)
    const { mnemonic } = JSON.parse(await readFile(walletFile, 'utf8')) as { mnemonic: string }
    expect(mnemonic.split(' ')).toHaveLength(24)
    expect(await readFile(join(fifthDir, 'masternode.log'), 'utf8')).not.toContain(
      mnemonic.split(' ').slice(0, 3).join(' '),
    )
    expect(decodeAddress(address, 'devnet').networkClass).toBe('test')
    expect(await call('validateaddress', [address])).toMatchObject({ isvalid: true, ismine: true })
    expect(await call('validateaddress', ['TIME1nope'])).toMatchObject({ isvalid: false })
    expect(await call('getbalance')).toEqual({ final: '0', pending: '0', locked: '0' })
    // And through `timecoin rpc`, which finds the node from its data directory's time.conf.
    const cli = runCli(['rpc', '--datadir', fifthDir, 'validateaddress', address])
    expect(await cli.exited).toBe(0)
    expect(JSON.parse(cli.output())).toMatchObject({ isvalid: true, ismine: true, address })
    // -6 insufficient funds, -5 an invalid address, -8 an amount it cannot pay, -32602 bad params.
    expect(await rpcCode(call('sendtoaddress', [address, '1']))).toBe(-6)
    expect(await rpcCode(call('sendtoaddress', ['TIME0notanaddress', '1']))).toBe(-5)
    expect(await rpcCode(call('sendtoaddress', [address, '0']))).toBe(-8)
    expect(await rpcCode(call('sendtoaddress', [address, 'lots']))).toBe(-32602)
    expect(await rpcCode(call('registermasternode', ['platinum']))).toBe(-32602)
    expect(await rpcCode(call('registermasternode'))).toBe(-6)
    expect(await rpcCode(call('deregistermasternode'))).toBe(-8)
  }, 60_000)

  it('gets funds from the faucet and sees them final in its wallet', async () => {
    const amount = (1_100n * COIN) as Amount
    const change = (coin.value - amount - MIN_FEE) as Amount
    const tx = signTransaction(
      {
        version: 1,
        inputs: [{ outpoint: coin.outpoint, publicKey: devnet.faucet.publicKey }],
        outputs: [
          { value: amount, address: decodeAddress(address, 'devnet').payload },
          { value: change, address: addressPayloadFromPublicKey(devnet.faucet.publicKey) },
        ],
        lockTime: 0,
        payload: { type: 'none' },
      },
      [devnet.faucet.secretKey],
      devnet.genesis.hash,
    )
    const txid = computeTxid(tx)
    coin = { outpoint: { txid, vout: 1 }, value: change }
    const node0 = devnet.nodes[0]!
    await node0.call('sendrawtransaction', [bytesToHex(encodeTransaction(tx))])
    const f = (await node0.call('waittransactionfinality', [txidToHex(txid), 30_000])) as {
      final: boolean
    }
    expect(f.final).toBe(true)
    const balance = await eventually(
      async () => {
        const b = (await call('getbalance')) as { final: string }
        return parseAmount(b.final) === amount ? b : undefined
      },
      'the funds final in the fifth node’s wallet',
      60_000,
    )
    expect(balance).toEqual({ final: '1100', pending: '0', locked: '0' })
    const unspent = (await call('listunspent')) as { txid: string; state: string }[]
    expect(unspent).toEqual([
      expect.objectContaining({ txid: txidToHex(txid), state: 'Unspent', spendable: true }),
    ])
  }, 120_000)

  it('registers; the committee changes at the next epoch and the new member votes', async () => {
    const before = (await devnet.nodes[0]!.call('getconsensusinfo', [])) as ConsensusInfo
    const sent = (await call('registermasternode', ['bronze', null, 30_000])) as {
      txid: string
      masternodekey: string
      finality: { final: boolean }
      collateral: { txid: string; vout: number; amount: string }
    }
    expect(sent.masternodekey).toBe(mnKeyHex)
    expect(sent.finality.final).toBe(true)
    expect(sent.collateral).toEqual({ txid: sent.txid, vout: 0, amount: '1000' })
    // A second registration of a key already on its way in is refused.
    expect(await rpcCode(call('registermasternode'))).toBe(-8)
    // Every node sees the new committee once the registration's block and the next are in.
    for (const n of devnet.nodes)
      await eventually(
        async () => {
          const list = (await n.call('masternodelist', [])) as Member[]
          return list.some((m) => m.key === mnKeyHex) ? true : undefined
        },
        `masternode ${n.index} lists the new member`,
        90_000,
      )
    const after = (await devnet.nodes[0]!.call('getconsensusinfo', [])) as ConsensusInfo
    expect(after.epoch).toBeGreaterThan(before.epoch)
    expect(after.totalweight).toBe(before.totalweight + 10)
    expect(after.members.find((m) => m.key === mnKeyHex)?.weight).toBe(10)
    const own = await eventually(
      async () => {
        const info = (await call('getconsensusinfo')) as ConsensusInfo
        // Voting, and linked to every other member (votes and forwarded payments travel there).
        return info.voting && info.linksconnected === info.linkswanted && info.linkswanted === 4
          ? info
          : undefined
      },
      'the fifth node votes, linked to the four others',
      60_000,
    )
    expect(own.epoch).toBe(after.epoch)
    // The collateral is locked: the wallet counts it apart and does not spend it.
    const balance = (await call('getbalance')) as { final: string; locked: string }
    expect(balance.locked).toBe('1000')
    expect(parseAmount(balance.final)).toBeLessThan(100n * COIN)
    // Its vote: a payment sent through the devnet is accepted by the new member too.
    const paid = await pay(devnet, coin, devnet.nodes, 3, 10)
    coin = paid.coins[0]!
    const last = paid.payments.at(-1)!
    const decision = await eventually(
      async () => {
        const f = (await call('gettransactionfinality', [last.txid])) as {
          decision: string | null
        }
        return f.decision ?? undefined
      },
      'the new member’s own vote on a payment',
      60_000,
    )
    expect(decision).toBe('accept')
  }, 240_000)

  it('deregisters; the member leaves at the following epoch change', async () => {
    const sent = (await call('deregistermasternode', [null, 30_000])) as {
      finality: { final: boolean }
    }
    expect(sent.finality.final).toBe(true)
    for (const n of devnet.nodes)
      await eventually(
        async () => {
          const list = (await n.call('masternodelist', [])) as Member[]
          return list.some((m) => m.key === mnKeyHex) ? undefined : true
        },
        `masternode ${n.index} no longer lists it`,
        90_000,
      )
    const info = await eventually(
      async () => {
        const i = (await call('getconsensusinfo')) as ConsensusInfo
        return i.voting ? undefined : i
      },
      'the fifth node stands by',
      60_000,
    )
    expect(info.members).toHaveLength(4)
  }, 180_000)
})
