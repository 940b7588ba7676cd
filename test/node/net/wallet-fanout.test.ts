// One masternode holds 1,000 wallet subscribers (issue 10, point 8; DESIGN §9): a swarm of 1,000
// light wallets in a child process, each its own libp2p host and connection over loopback
// WebSockets, ten of them running the full light client, watches one address; ten payments from it
// are each pushed to all of them. The test prints the figures — RSS and heap per subscriber, the
// masternode's push time, finality-to-receipt p50/p99 — and checks what must hold: every push
// arrives, the wallets that check proofs refuse none and hold every final state proven, no
// subscriber is cut off. Times are printed, never asserted (benchmarks do not gate on a time).
// libp2p's connection monitor runs relaxed (a ping every 30 s, 20 s to answer): with its defaults
// a busy machine aborts wallet connections by the hundred (wallet-fanout.ts). Settings:
// `WALLET_FANOUT_SUBSCRIBERS`, `WALLET_FANOUT_PAYMENTS`, `WALLET_FANOUT_TRANSPORT` (ws, tcp).
import { afterEach, expect, it } from 'vitest'
import { measureFanout, stopFanout } from '../../support/wallet-fanout.ts'

const subscribers = Number(process.env.WALLET_FANOUT_SUBSCRIBERS ?? 1_000)
const payments = Number(process.env.WALLET_FANOUT_PAYMENTS ?? 10)
const transport = process.env.WALLET_FANOUT_TRANSPORT === 'tcp' ? 'tcp' : 'ws'
const checked = Math.min(10, subscribers)

afterEach(stopFanout, 60_000)

it(`one masternode pushes every payment to ${subscribers} subscribers over ${transport}`, async () => {
  const figures = await measureFanout({ subscribers, payments, checked, transport })
  console.log(`wallet fan-out: ${JSON.stringify(figures)}`)
  expect(figures.subscribers).toBe(subscribers)
  expect(figures.receipts).toBe(figures.expectedReceipts)
  expect(figures.refused).toBe(0)
  expect(figures.checkedFinal).toBe(checked * payments)
  expect(figures.slowWallets).toBe(0)
}, 600_000)
