// The engine service's direct paths to non-members (src/core/net/engine-service/relay.ts): a vote
// batch relayed to a peer once (the rotating filter skips the repeat, not another peer, and
// forgets after its generations), a transaction handed to a masternode over the tx protocol
// marked only once it got there (a failed relay goes again), relays in flight bounded, names that
// are no masternode key left to other routes, and at most MAX_ROUTES added routes.
import type { Connection } from '@libp2p/interface'
import { describe, expect, it } from 'vitest'
import { bytesToHex, type Message, type Transaction } from '../../../src/core/index.ts'
import { Relays } from '../../../src/core/net/engine-service/relay.ts'
import { MAX_ROUTES, type Route } from '../../../src/core/net/index.ts'
import { GENESIS_TXID, keyPair, spend } from '../../support/ledger-fixture.ts'

const owner = keyPair(1)
const tx = spend(
  [{ outpoint: { txid: GENESIS_TXID, vout: 0 }, value: 10n ** 9n, owner }],
  [{ to: owner, value: 10n ** 9n - 10n ** 6n }],
).tx as Transaction
const member = bytesToHex(new Uint8Array(32).fill(0xab))

/** A vote batch as the filter sees it: its signature, and its time stamp (engine clock). */
function vote(n: number, at = 0): Message {
  const batch = { signature: new Uint8Array(64).fill(n), header: { timestamp: at } }
  return { type: 'InstantFinalityVote', batch } as never
}

function relays(maxTxRelays = 4) {
  let now = 0
  const r = new Relays({
    clock: () => now,
    seed: Uint8Array.of(7),
    filter: { capacity: 100, falsePositiveRate: 1e-6, maxAgeMs: 1_000 },
    maxTxRelays,
  })
  return { r, advance: (ms: number) => (now += ms) }
}

const someConnection = {} as Connection

describe('relays to non-members', () => {
  it('relay a vote batch to a peer once, to another peer too, and again once forgotten', () => {
    const { r, advance } = relays()
    expect(r.firstRelay('peer:a', vote(1))).toBe(true)
    expect(r.firstRelay('peer:a', vote(1))).toBe(false)
    expect(r.firstRelay('peer:b', vote(1))).toBe(true)
    expect(r.firstRelay('peer:a', vote(2))).toBe(true)
    // Other messages are never held back (certificates answer requests).
    const certificate = { type: 'FinalityCertificate' } as Message
    expect([r.firstRelay('peer:a', certificate), r.firstRelay('peer:a', certificate)]).toEqual([
      true,
      true,
    ])
    advance(1_000)
    advance(1_000)
    // Two generations later it is forgotten — and too old to relay at all (the relay window).
    expect(r.firstRelay('peer:a', vote(1))).toBe(false)
    expect(r.firstRelay('peer:a', vote(1, 2_000))).toBe(true)
    expect(r.stats()).toMatchObject({ relaySkips: 1, filterBytes: 2 * 360 })
  })

  it('hand a transaction to a masternode over tx, marked only once it got there', async () => {
    const { r } = relays()
    const sent: string[] = []
    let fail = true
    const send = async (_c: unknown, _n: unknown, t: Transaction) => {
      sent.push(bytesToHex(t.inputs[0]!.signature))
      if (fail) throw new Error('reset')
    }
    const message: Message = { type: 'InstantFinalityRequest', tx }
    const go = () => r.relayTransaction(member, message, 'devnet', () => someConnection, send)
    expect(go()).toBe(true)
    await Promise.resolve()
    expect(r.stats()).toMatchObject({ txRelayed: 0, txRelayFailures: 1 })
    fail = false
    expect(go()).toBe(true) // tried again: the failure marked nothing
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(go()).toBe(true) // taken, but skipped: already there
    expect(sent.length).toBe(2)
    expect(r.stats()).toMatchObject({ txRelayed: 1, relaySkips: 1 })
  })

  it('leave to others what is no transaction for a connected masternode', () => {
    const { r } = relays()
    const send = async () => {}
    const broadcast: Message = { type: 'TransactionBroadcast', tx }
    expect(r.relayTransaction('peer:x', broadcast, 'devnet', () => someConnection, send)).toBe(
      false,
    )
    expect(r.relayTransaction(member, vote(1), 'devnet', () => someConnection, send)).toBe(false)
    expect(r.relayTransaction(member, broadcast, 'devnet', () => undefined, send)).toBe(false)
  })

  it('keep at most maxTxRelays in flight, dropping (and counting) the rest', () => {
    const { r } = relays(2)
    const never = () => new Promise<void>(() => {})
    const key = (i: number) => bytesToHex(new Uint8Array(32).fill(i))
    for (let i = 0; i < 3; i++)
      r.relayTransaction(
        key(i),
        { type: 'TransactionBroadcast', tx },
        'devnet',
        () => someConnection,
        never,
      )
    expect(r.stats().txRelayDrops).toBe(1)
  })

  it('take at most MAX_ROUTES routes, offered in order until one takes the message', () => {
    const { r } = relays()
    const seen: number[] = []
    const undo: (() => void)[] = []
    for (let i = 0; i < MAX_ROUTES; i++) {
      const route: Route = (to) => {
        seen.push(i)
        return to === `take:${i}`
      }
      undo.push(r.addRoute(route))
    }
    expect(() => r.addRoute(() => false)).toThrow(RangeError)
    expect(r.route('take:1', vote(1))).toBe(true)
    expect(seen).toEqual([0, 1])
    undo[1]!()
    expect(r.route('take:1', vote(1))).toBe(false)
    expect(r.addRoute(() => true)).toBeTypeOf('function')
  })
})
