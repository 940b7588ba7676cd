// The seed's five output states, each reached by the engine and each reported: Unspent → Locked
// → SpentPending → SpentFinalized → Confirmed for a spent input, and a created output reported
// with its proof (the creator's certificate, then the confirming block's height).
import { describe, expect, it } from 'vitest'
import { bytesToHex, COIN, type OutPoint, type UtxoStateChange } from '../../src/core/index.ts'
import { Cluster, type ClusterNode } from '../support/engine-driver.ts'
import { engineFixture, TEST_CHAIN } from '../support/engine-fixture.ts'
import { GENESIS_HASH, keyPair, payloadOf, spend } from '../support/ledger-fixture.ts'

const alice = keyPair(0)
const carol = keyPair(2)
const { masternodes, committee, genesis, coin } = engineFixture('utxo states genesis', 300, [alice])
const input: OutPoint = coin(0).outpoint
const chain = TEST_CHAIN

const of = (node: ClusterNode, outpoint: OutPoint): UtxoStateChange[] =>
  node.utxoStates.filter(
    (c) =>
      bytesToHex(c.outpoint.txid) === bytesToHex(outpoint.txid) &&
      c.outpoint.vout === outpoint.vout,
  )

describe('output states and their effects', () => {
  it('an input goes Locked → SpentPending → SpentFinalized → Confirmed at every member, each reported once', async () => {
    const c = await Cluster.create({
      genesisHash: GENESIS_HASH,
      committee,
      keys: masternodes,
      genesis,
      chain,
    })
    const pay = spend([coin(0)], [{ to: carol, value: 9n * COIN }])
    const created: OutPoint = { txid: pay.txid, vout: 0 }
    await c.submit(masternodes[0]!, pay.tx)
    await c.run()
    await c.fireTimers((t) => t === 'chain:start')
    await c.run()
    for (const node of c.nodes.values()) {
      expect(node.committed).toEqual([1])
      const changes = of(node, input)
      expect(changes.map((s) => s.state.kind)).toEqual([
        'Locked',
        'SpentPending',
        'SpentFinalized',
        'Confirmed',
      ])
      const [locked, pending, final, confirmed] = changes
      for (const s of changes) {
        expect(bytesToHex(s.output.address)).toBe(bytesToHex(payloadOf(alice)))
        expect(s.output.value).toBe(10n * COIN)
        expect('txid' in s.state && bytesToHex(s.state.txid)).toBe(bytesToHex(pay.txid))
      }
      expect(locked!.certificate).toBeUndefined()
      // Another member's Accept moved it, with the weight seen then: short of the quorum (27).
      expect(pending!.state).toMatchObject({ kind: 'SpentPending', voted: true })
      const votes = pending!.state.kind === 'SpentPending' ? pending!.state.votes : 0
      expect(votes).toBeGreaterThanOrEqual(10)
      expect(votes).toBeLessThan(committee.threshold)
      // The final spend carries its certificate, the confirmed one its height.
      expect(final!.certificate?.epoch).toBe(0)
      expect(bytesToHex(final!.certificate!.txid)).toBe(bytesToHex(pay.txid))
      expect(final!.certificate!.entries.length).toBeGreaterThanOrEqual(3)
      expect(confirmed!.height).toBe(1)
      expect(confirmed!.state).toEqual({ kind: 'Confirmed', txid: pay.txid, height: 1 })

      // The payment's output: created final (with the certificate), then confirmed (height 1).
      const out = of(node, created)
      expect(out.map((s) => [s.state.kind, s.height ?? null])).toEqual([
        ['Unspent', null],
        ['Unspent', 1],
      ])
      expect(bytesToHex(out[0]!.certificate!.txid)).toBe(bytesToHex(pay.txid))
      expect(bytesToHex(out[0]!.output.address)).toBe(bytesToHex(payloadOf(carol)))
    }
  })

  it('SpentPending is stored: a member restarted short of a quorum still holds it', async () => {
    const silent = new Set([masternodes[2]!, masternodes[3]!].map((k) => bytesToHex(k.publicKey)))
    const c = await Cluster.create({
      genesisHash: GENESIS_HASH,
      committee,
      keys: masternodes,
      genesis,
      // Two members' votes are lost: 20 of the 27 needed, never final.
      drop: (from, _to, m) => m.type === 'InstantFinalityVote' && silent.has(from),
    })
    const pay = spend([coin(0)], [{ to: carol, value: 9n * COIN }])
    await c.submit(masternodes[0]!, pay.tx)
    await c.run()
    const member = masternodes[1]!
    expect(c.node(member).finalized.size).toBe(0)
    expect(of(c.node(member), input).map((s) => s.state.kind)).toEqual(['Locked', 'SpentPending'])
    c.crash(member)
    const restarted = await c.restart(member)
    expect(restarted.engine.ledger.utxos.get(input)?.state).toEqual({
      kind: 'SpentPending',
      txid: pay.txid,
      votes: 20,
      voted: true,
    })
  })
})
