// Gossip validators under attack (src/core/net/gossip): a rogue relay — a handshaken full node
// whose gossipsub checks nothing — feeds a full node a message of the wrong type, a certificate
// that proves another transaction and a block whose certificate is for another block: each is
// rejected, costs the rogue (and only it) the error's action, and goes no further (a second full
// node behind the first never sees it). What is valid is taken from the same rogue: the chain's
// blocks, out of order, applied in order; a block too far ahead is dropped from the bounded
// buffer; a duplicate is ignored at no cost. Every wait is bounded; every host is stopped.
import type { Message as PubSubEnvelope } from '@libp2p/gossipsub'
import { memory } from '@libp2p/memory'
import { afterEach, describe, expect, it } from 'vitest'
import { blockHash, bytesToHex, type Transaction } from '../../../src/core/index.ts'
import { GOSSIP_TOPICS, gossipTopic } from '../../../src/core/protocol/gossip-topics.ts'
import { PeerRole } from '../../../src/core/protocol/handshake.ts'
import { createNodeHost } from '../../../src/node/net/host.ts'
import { type Built, coinsOf } from '../../support/ledger-fixture.ts'
import {
  addressesOf,
  type FullNode,
  memoryName,
  peerHandshake,
  startCommittee,
  startFullNode,
  startMasternode,
  stopCluster,
  until,
} from '../../support/net-engines.ts'
import { gossipCluster, sharing } from '../../support/net-gossip.ts'
import { stopAll, track } from '../../support/net-hosts.ts'

const { owners, fx, setup, payTo } = gossipCluster('gossip validate', 660)
afterEach(async () => {
  await stopAll()
  await stopCluster()
})

const TX = gossipTopic('devnet', 'tx')
const BLOCK = gossipTopic('devnet', 'block')

/** A handshaken full node whose gossipsub validates nothing: it records and publishes anything. */
async function rogueRelay() {
  const host = track(
    await createNodeHost({
      transports: [memory()],
      listenAddresses: [`/memory/${memoryName()}`],
      gossipsub: { ignoreDuplicatePublishError: true },
      services: { handshake: peerHandshake(PeerRole.FullNode) },
    }),
  )
  const pubsub = host.services.pubsub!
  const seen = new Map<string, Uint8Array[]>([
    [TX, []],
    [BLOCK, []],
  ])
  pubsub.addEventListener('message', (e: CustomEvent<PubSubEnvelope>) => {
    seen.get(e.detail.topic)?.push(e.detail.data)
  })
  for (const topic of seen.keys()) pubsub.subscribe(topic)
  const publish = (topic: string, data: Uint8Array) => pubsub.publish(topic, data)
  return { host, seen, publish }
}

const tipOf = (n: FullNode) => n.engine.runtime.engine.tip!.height

describe('gossip validators', () => {
  it('reject what is invalid at the sender’s cost, pass nothing on, and take what is valid', async () => {
    const s = setup()
    // One relay records what the committee gossips; the rogue, which never saw it, replays it
    // (gossipsub does not publish again what it has seen). It joins the first member before the
    // others start: blocks come every interval once a quorum is up, and it must see block 1.
    const member = await startMasternode(s, fx.masternodes[0]!, { gossip: true })
    const recorder = await rogueRelay()
    await recorder.host.dial(addressesOf(member.host, 'memory'))
    await sharing(recorder.host, member.host)
    const nodes = await startCommittee(s, fx.masternodes.slice(1), () => ({ gossip: true }), [
      member,
    ])

    // Four payments, each in its own block.
    const payments: Built[] = []
    let coin = fx.coin(0)
    for (let i = 0; i < 4; i++) {
      const b = payTo(coin, i + 1)
      payments.push(b)
      await nodes[0]!.engine.submit(b.tx)
      await until(() => nodes[0]!.confirmed.has(bytesToHex(b.txid)), `payment ${i} confirmed`)
      coin = coinsOf(b, [owners[i + 1]!])[0]!
    }
    const blockCodec = GOSSIP_TOPICS.block.codec
    const byHeight = new Map<number, Uint8Array>()
    await until(() => {
      for (const data of recorder.seen.get(BLOCK)!)
        byHeight.set(blockCodec.decode(data).block.header.height, data)
      return [1, 2, 3, 4].every((h) => byHeight.has(h))
    }, 'blocks 1 to 4 recorded')
    await until(() => recorder.seen.get(TX)!.length > 0, 'a certificate recorded')
    const certificate = recorder.seen.get(TX)![0]!

    // A full node behind the rogue, and a second one behind the first.
    const rogue = await rogueRelay()
    const full = await startFullNode(s, { gossip: { maxEarlyBlocks: 1 } })
    const behind = await startFullNode(s)
    await rogue.host.dial(full.host.getMultiaddrs()[0]!)
    await behind.host.dial(full.host.getMultiaddrs()[0]!)
    await sharing(rogue.host, full.host)
    await sharing(full.host, behind.host)

    // 1. A block on the tx topic (a variant of block 1: gossipsub names messages by their bytes).
    const first = blockCodec.decode(byHeight.get(1)!)
    const variant = (certificate: typeof first.certificate) =>
      blockCodec.encode({ ...first, certificate })
    await rogue.publish(
      TX,
      variant({ ...first.certificate, attempt: first.certificate.attempt + 1 }),
    )
    // 2. A certificate proving another transaction, carried by a transaction never submitted.
    const real = GOSSIP_TOPICS.tx.codec.decode(certificate)
    const unsent = payTo(fx.coin(5), 0)
    await rogue.publish(
      TX,
      GOSSIP_TOPICS.tx.codec.encode({
        type: 'FinalityCertificate',
        tx: unsent.tx as Transaction,
        certificate: { ...real.certificate, txid: unsent.txid },
      }),
    )
    // 3. Block 1 with a certificate for another block.
    const otherHash = first.certificate.blockHash.slice()
    otherHash[0]! ^= 1
    await rogue.publish(BLOCK, variant({ ...first.certificate, blockHash: otherHash }))
    await until(() => full.penalties.length >= 3, 'three penalties')
    expect(full.penalties.map((p) => [p.code, p.action])).toEqual([
      ['PROTOCOL_UNEXPECTED_MESSAGE', 'low-tolerance'],
      ['CERT_ROOT_MISMATCH', 'low-tolerance'],
      ['BLOCK_INVALID', 'low-tolerance'],
    ])
    expect(full.penalties.every((p) => p.peer.equals(rogue.host.peerId))).toBe(true)
    expect(full.engine.runtime.engine.isFinal(unsent.txid)).toBe(false)

    // Valid blocks out of order: 3 waits (the one place there is), 4 is dropped, 1 and 2 apply.
    await rogue.publish(BLOCK, byHeight.get(3)!)
    await rogue.publish(BLOCK, byHeight.get(4)!)
    await until(() => full.gossip.stats().earlyDropped === 1, 'block 4 dropped')
    await rogue.publish(BLOCK, byHeight.get(1)!)
    await until(() => tipOf(full) === 1, 'block 1 applied')
    await rogue.publish(BLOCK, byHeight.get(2)!)
    await until(() => tipOf(full) === 3, 'blocks 2 and 3 applied')
    // The certificate of a payment a block confirmed here: ignored, free.
    await rogue.publish(TX, certificate)
    await until(() => full.gossip.stats().ignored > 0, 'the duplicate ignored')

    const stats = full.gossip.stats()
    expect(stats).toMatchObject({ rejected: 3, early: 2, earlyDropped: 1 })
    expect(full.penalties.length).toBe(3)
    // The blocks applied are the committee's: the tip is block 3's hash.
    const third = blockCodec.decode(byHeight.get(3)!).block.header
    expect(bytesToHex(full.engine.runtime.engine.tip!.hash)).toBe(bytesToHex(blockHash(third)))
    // It passed on what it accepted — block 4 too, valid though it had no room to keep it, so the
    // node behind (with room) applies all four — and nothing it rejected.
    await until(() => tipOf(behind) === 4, 'the node behind follows')
    expect(behind.penalties).toEqual([])
    expect(behind.gossip.stats().rejected).toBe(0)
  })
})
