// Oversize frames and rate limits on the per-request protocols (issue 10, point 7): the `peers`
// protocol refuses a request or an answer whose length prefix is over its limit before any of the
// payload is buffered, and charges the sender; so does the handshake for a peer that sends more
// bytes at once than one hello holds (the read buffer overflows before any length is judged), or a
// length prefix that never ends (libp2p's decoder alone would read it on until the deadline); and
// `peers` requests go through the defence layer's inbound gate, so a peer asking faster than
// `max_requests_per_second` is refused and charged. (The handshake's prefix check, the committee
// link and the `tx` protocol have theirs in handshake.test.ts, committee-links.test.ts and
// defence-attack.test.ts.) Over @libp2p/memory; every wait is bounded; every host stops after each
// test.
import type { Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
import { afterEach, describe, expect, it } from 'vitest'
import { Defence, type Penalty } from '../../../src/core/net/index.ts'
import { MAX_HELLO_SIZE, PeerRole } from '../../../src/core/protocol/handshake.ts'
import { PEERS_ANSWER_FRAMES, PEERS_REQUEST_FRAMES } from '../../../src/core/protocol/index.ts'
import { protocolId } from '../../../src/core/protocol/protocol-ids.ts'
import { protocolIdOf } from '../../../src/core/protocol/protocols.ts'
import { discoveryHost } from '../../support/net-discovery.ts'
import { until } from '../../support/net-engines.ts'
import { handshakeHost, nextEvent, rawHost, stopAll } from '../../support/net-hosts.ts'

afterEach(stopAll)

const PEERS = protocolIdOf('devnet', 'peers')

function varint(n: number): Uint8Array {
  const out: number[] = []
  for (let v = n; ; v = Math.floor(v / 128)) {
    out.push(v >= 128 ? (v % 128) | 0x80 : v)
    if (v < 128) return Uint8Array.from(out)
  }
}

/** The prefix of a frame one byte over `limit`, and 16 bytes of it: judged by the prefix alone. */
function oversize(limit: number): Uint8ArrayList {
  return new Uint8ArrayList(varint(limit + 1), new Uint8Array(16))
}

describe('the handshake', () => {
  it('charges a peer that sends more than a hello frame holds in one go', async () => {
    const node = await handshakeHost('memory')
    const raw = await rawHost('memory')
    const rejected = nextEvent(node.services.handshake, 'peer:rejected')
    const connection = await raw.dial(node.getMultiaddrs())
    const stream = await connection.newStream(protocolId('devnet', 'handshake'))
    // A valid-length prefix, then far more bytes than the read buffer (one hello) takes.
    stream.send(new Uint8ArrayList(varint(8), new Uint8Array(MAX_HELLO_SIZE + 64)))
    const r = await rejected
    expect(r.error.code).toBe('LIMIT_EXCEEDED')
    expect(r.error.peerAction).toBe('low-tolerance')
    expect(r.peerId.equals(raw.peerId)).toBe(true)
  })

  it('charges a peer whose length prefix never ends, before its bytes pile up', async () => {
    const node = await handshakeHost('memory')
    const raw = await rawHost('memory')
    const rejected = nextEvent(node.services.handshake, 'peer:rejected')
    const connection = await raw.dial(node.getMultiaddrs())
    const stream = await connection.newStream(protocolId('devnet', 'handshake'))
    // Continuation bytes only, in chunks the read buffer takes: a varint that never ends. At most
    // 400 chunks (12.5 KiB), 2 ms apart, while the peer is not yet refused.
    let settled = false
    const settle = () => {
      settled = true
    }
    rejected.then(settle, settle)
    for (let i = 0; i < 400 && !settled && stream.status === 'open'; i++) {
      stream.send(new Uint8Array(32).fill(0x80))
      await new Promise((r) => setTimeout(r, 2))
    }
    const r = await rejected
    expect(r.error.code).toBe('LIMIT_EXCEEDED')
    expect(r.error.peerAction).toBe('low-tolerance')
  })
})

describe('the peers protocol', () => {
  it('refuses a request over the limit by its length prefix and charges the sender', async () => {
    const penalties: Penalty[] = []
    const node = await discoveryHost({ penalties })
    const asker = await handshakeHost('memory', { role: PeerRole.FullNode })
    const connection = await asker.dial(node.getMultiaddrs())
    const stream = await connection.newStream(PEERS)
    stream.send(oversize(PEERS_REQUEST_FRAMES.maxDataLength))
    await until(() => penalties.length > 0, 'the sender charged')
    expect(penalties.map((p) => [p.code, p.action])).toEqual([
      ['PROTOCOL_FRAME_TOO_LARGE', 'low-tolerance'],
    ])
    expect(penalties[0]!.peer.equals(asker.peerId)).toBe(true)
    await until(() => stream.status !== 'open', 'the stream is reset')
  })

  it('refuses an answer over the limit by its length prefix and charges the answerer', async () => {
    const liar = await handshakeHost('memory', { role: PeerRole.FullNode })
    await liar.handle(PEERS, async (stream: Stream) => {
      await lpStream(stream).read()
      stream.send(oversize(PEERS_ANSWER_FRAMES.maxDataLength))
    })
    const penalties: Penalty[] = []
    await discoveryHost({
      penalties,
      discovery: { addnode: [liar.getMultiaddrs()[0]!.toString()], targetPeers: 1 },
    })
    await until(() => penalties.length > 0, 'the answerer charged')
    expect(penalties[0]!.code).toBe('PROTOCOL_FRAME_TOO_LARGE')
    expect(penalties[0]!.peer.equals(liar.peerId)).toBe(true)
  })

  it('refuses requests past the rate limit and charges the asker through the defence layer', async () => {
    // A bucket of two requests that does not refill within the test; one charge per minute.
    const guard = new Defence({
      settings: {
        maxRequestsPerSecond: 0.01,
        rateLimitBurstSeconds: 200,
        rateLimitPenaltyIntervalSeconds: 60,
      },
    })
    const node = await discoveryHost({ discovery: { inbound: guard, penalties: guard } })
    const asker = await handshakeHost('memory', { role: PeerRole.FullNode })
    const connection = await asker.dial(node.getMultiaddrs())
    const request = PEERS_REQUEST_FRAMES.encode({ type: 'PeersRequest', max: 4 })
    const outcomes: string[] = []
    for (let i = 0; i < 5; i++) {
      const stream = await connection.newStream(PEERS)
      const lp = lpStream(stream)
      try {
        await lp.write(request)
        const signal = AbortSignal.timeout(3_000)
        PEERS_ANSWER_FRAMES.decode((await lp.read({ signal })).subarray())
        outcomes.push('answered')
        await stream.close({ signal })
      } catch {
        outcomes.push('refused')
      }
      // The protocol takes two streams at once: wait for this one to be gone on both ends.
      await until(() => stream.status !== 'open', 'the stream closed')
    }
    expect(outcomes).toEqual(['answered', 'answered', 'refused', 'refused', 'refused'])
    expect(guard.stats().throttled.peers).toBe(3)
    expect(guard.stats().penalties['mid-tolerance']).toBe(1)
    expect(guard.score(asker.peerId)).toBe(guard.settings.midToleranceCost)
  })
})
