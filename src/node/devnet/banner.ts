/**
 * What the devnet prints once it is up (DESIGN §7: as clear as anvil's): each masternode's RPC URL
 * and cookie, its metrics URL, the WebSocket multiaddrs a browser wallet dials, the funded keys with the faucet's
 * secret, where the genesis, data and logs are, how long start-up took, and how to stop. Plain
 * text; every line is true of the running devnet (a port that had to change shows its new value).
 */
import { bytesToHex } from '../../core/encoding/bytes.ts'
import { addressFromPublicKey } from '../../core/primitives/address.ts'
import { cliEntry } from './children.ts'
import { type Devnet, faucetAddress, timeAmount } from './devnet.ts'

function relative(path: string): string {
  const cwd = process.cwd()
  return path.startsWith(`${cwd}/`) ? path.slice(cwd.length + 1) : path
}

export function devnetBanner(devnet: Devnet, demo: string | undefined): string {
  const { nodes, genesis } = devnet
  const rule = '─'.repeat(78)
  const allocations = genesis.spec.allocations
  const lines = [
    '',
    rule,
    ` TIME Coin devnet — ${nodes.length} masternode processes on 127.0.0.1, ready in ${(devnet.startupMs / 1000).toFixed(1)} s`,
    ...(demo === undefined ? [] : [` ${demo}`]),
    rule,
    '',
    'Masternodes',
  ]
  for (const n of nodes) {
    lines.push(
      `  [${n.index}] pid ${n.process.pid}  JSON-RPC ${n.rpcUrl}  P2P 127.0.0.1:${n.ports.p2p}`,
      `      cookie    ${n.cookie}`,
      `      metrics   http://127.0.0.1:${n.ports.metrics}/metrics`,
      `      key       ${bytesToHex(n.key.publicKey)}`,
    )
    const ws = n.addresses.filter((a) => a.includes('/ws/'))
    for (const a of ws) lines.push(`      websocket ${a}`)
  }
  const faucet = faucetAddress(devnet)
  lines.push(
    '',
    'Funded keys (devnet only: anyone with the seed has them)',
    `  faucet          ${faucet}  ${timeAmount(allocations[0]!.value)} at genesis`,
    `    secret key    ${bytesToHex(devnet.faucet.secretKey)}`,
    `    key file      ${devnet.root}/keys/faucet.key`,
  )
  for (const n of nodes) {
    const address = addressFromPublicKey(n.key.publicKey, 'devnet')
    const funds = allocations.find((_, i) => i > 0 && i === n.index + 1)
    lines.push(
      `  masternode ${n.index}    ${address}  ${funds === undefined ? '' : timeAmount(funds.value)}  (${devnet.root}/keys/masternode-${n.index}.key)`,
    )
  }
  const main = relative(cliEntry())
  lines.push(
    '',
    `Genesis   ${devnet.genesisFile}  hash ${genesis.hashHex}`,
    `Data      ${devnet.root}${devnet.temporary ? ' (temporary: removed at exit unless --keep)' : ''}`,
    `Logs      ${devnet.root}/node-<i>/masternode.log`,
    '',
    'Try',
    `  node ${main} rpc --datadir ${nodes[0]!.dir} --network devnet --rpcport ${nodes[0]!.ports.rpc} getblockchaininfo`,
    `  node ${main} rpc --datadir ${nodes[0]!.dir} --network devnet --rpcport ${nodes[0]!.ports.rpc} getconsensusinfo`,
    '',
    'Press Ctrl-C to stop the devnet.',
    '',
  )
  return lines.join('\n')
}
