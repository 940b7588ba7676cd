// The `net` log's view of the host (src/node/daemon/net-log.ts): committee links up and down at
// info (with the reason a link went down), peers at debug, and nothing after it is stopped.

import type { PeerId } from '@libp2p/interface'
import { TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { LinkError } from '../../../src/core/errors.ts'
import type { CommitteeLinksEvents } from '../../../src/core/net/index.ts'
import { nodeLog } from '../../../src/node/daemon/log.ts'
import { logNetwork } from '../../../src/node/daemon/net-log.ts'

const PEER = peerIdFromString('12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA')
const KEY = 'ab'.repeat(32)

describe('the network log', () => {
  it('logs committee links at info and peers at debug, until stopped', () => {
    const lines: string[] = []
    const { log } = nodeLog({ level: 'debug', stdout: false, write: (l) => lines.push(l) })
    const host = Object.assign(
      new TypedEventEmitter<{
        'peer:connect': CustomEvent<PeerId>
        'peer:disconnect': CustomEvent<PeerId>
      }>(),
      { services: { committeeLinks: new TypedEventEmitter<CommitteeLinksEvents>() } },
    )
    const stop = logNetwork(host, log)
    host.dispatchEvent(new CustomEvent('peer:connect', { detail: PEER }))
    const links = host.services.committeeLinks
    links.dispatchEvent(new CustomEvent('link:up', { detail: { key: KEY, peer: PEER } }))
    const error = new LinkError('LINK_BROKEN', 'the stream was reset')
    links.dispatchEvent(new CustomEvent('link:down', { detail: { key: KEY, peer: PEER, error } }))
    host.dispatchEvent(new CustomEvent('peer:disconnect', { detail: PEER }))
    stop()
    host.dispatchEvent(new CustomEvent('peer:connect', { detail: PEER }))
    links.dispatchEvent(new CustomEvent('link:up', { detail: { key: KEY, peer: PEER } }))
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(entries.map((e) => [e.level, e.msg])).toEqual([
      ['debug', 'peer connected'],
      ['info', `committee link to ${KEY} up`],
      ['info', `committee link to ${KEY} down: the stream was reset`],
      ['debug', 'peer disconnected'],
    ])
    expect(entries[2]).toMatchObject({ member: KEY, peer: PEER.toString(), code: 'LINK_BROKEN' })
  })
})
