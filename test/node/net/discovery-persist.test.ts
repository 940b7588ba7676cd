// The persisted peer book (src/node/net/peer-book-file.ts with the discovery service): the file is
// replaced atomically and read back as written; a damaged file is set aside and the node starts
// from addnode alone; records past the bound are not loaded; and a node restarted on the same
// file, with no addnode at all, dials the peers it knew. Temporary folders, every wait bounded,
// every host stopped after each test.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { PeerRecord } from '../../../src/core/net/index.ts'
import { FilePeerBookStore, PEER_BOOK_FILE_VERSION } from '../../../src/node/net/peer-book-file.ts'
import { discoveryHost, handshaken } from '../../support/net-discovery.ts'
import { until } from '../../support/net-engines.ts'
import { stopAll } from '../../support/net-hosts.ts'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'timecoin-peers-'))
})
afterEach(async () => {
  await stopAll()
  await rm(dir, { recursive: true, force: true })
})

const record = (n: number): PeerRecord => ({
  peerId: '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp',
  addrs: [`/ip4/8.8.8.${n}/tcp/24100`],
  lastSeen: 1_700_000_000_000 + n,
  failures: n % 3,
  ...(n % 2 === 0 ? { masternodeKey: 'ab'.repeat(32) } : {}),
})

describe('the peer book file', () => {
  it('is replaced atomically and read back as written', async () => {
    const path = join(dir, 'peers.json')
    const store = new FilePeerBookStore(path)
    expect(await store.load()).toEqual([])
    await Promise.all([store.save([record(1)]), store.save([record(2), record(3)])])
    expect(await store.load()).toEqual([record(2), record(3)])
    const file = JSON.parse(await readFile(path, 'utf8'))
    expect(file.version).toBe(PEER_BOOK_FILE_VERSION)
    // Only the book is left: the temporary file was renamed over it.
    expect(await readdir(dir)).toEqual(['peers.json'])
  })

  it('loads at most maxEntries records, and sets a damaged file aside', async () => {
    const path = join(dir, 'peers.json')
    await new FilePeerBookStore(path).save([1, 2, 3, 4, 5].map(record))
    expect((await new FilePeerBookStore(path, { maxEntries: 2 }).load()).length).toBe(2)

    for (const damaged of ['{"version":1,"peers":[', '{"version":9,"peers":[]}', '[]']) {
      await writeFile(path, damaged)
      expect(await new FilePeerBookStore(path).load()).toEqual([])
      expect(await readFile(`${path}.corrupt`, 'utf8')).toBe(damaged)
      await rm(`${path}.corrupt`)
    }
  })
})

describe('a restarted node', () => {
  it('dials the peers of its saved book, with no addnode', async () => {
    const path = join(dir, 'peers.json')
    const seed = await discoveryHost()
    const others = [seed, await discoveryHost(), await discoveryHost()]
    for (const o of others.slice(1)) await o.dial(seed.getMultiaddrs()[0]!)
    const privateKey = await generateKeyPair('Ed25519')
    const first = await discoveryHost({
      privateKey,
      discovery: {
        addnode: [seed.getMultiaddrs()[0]!.toString()],
        targetPeers: 3,
        store: new FilePeerBookStore(path, { sync: false }),
      },
    })
    const ids = others.map((o) => o.peerId.toString())
    await until(() => ids.every((id) => handshaken(first).has(id)), 'connected to all three')
    await until(
      () => ids.every((id) => (first.services.discovery.book.get(id)?.addrs.length ?? 0) > 0),
      'their listen addresses in the book',
    )
    await first.stop()
    const saved = JSON.parse(await readFile(path, 'utf8')).peers as PeerRecord[]
    expect(saved.map((r) => r.peerId).sort()).toEqual([...ids].sort())

    const again = await discoveryHost({
      privateKey,
      discovery: { targetPeers: 3, store: new FilePeerBookStore(path, { sync: false }) },
    })
    expect(again.services.discovery.book.size).toBe(3)
    await until(() => ids.every((id) => handshaken(again).has(id)), 'connected again from the book')
    expect(again.services.discovery.stats().dials).toBeGreaterThanOrEqual(3)
  })
})
