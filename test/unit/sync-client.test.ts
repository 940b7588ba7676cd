// The pure parts of sync (docs/PROTOCOL.md §19.6): outpoint order, snapshots taken, cached and
// assembled chunk by chunk, the checks on a served block, and the client's state machine over a
// small certified chain — blocks mode (ask, check, verify, apply, caught up), a wrong answer or a
// bad verdict penalized and another peer asked, progress kept across a failed peer, and snapshot
// mode (chunks, then blocks, then the commitment: installed, or penalized and discarded).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type Amount,
  type Block,
  type BlockCertificate,
  blockHash,
  bytesToHex,
  type CertifiedBlock,
  ChainSnapshot,
  certificateEntry,
  chainStateAfter,
  chainUtxoState,
  checkSyncedBlock,
  compareBytes,
  compareOutPoints,
  LtHash,
  OutPointCodec,
  Registry,
  rewardTxid,
  SnapshotAssembly,
  SnapshotCache,
  type SnapshotRecord,
  type SyncAction,
  SyncClient,
  sha256,
  type Txid,
  utf8ToBytes,
} from '../../src/core/index.ts'
import {
  batchBy,
  CONSENSUS_GENESIS,
  committeeOf,
  emptyBlock,
  voterKey,
} from '../support/consensus-fixture.ts'

const committee = committeeOf(0, [10, 10, 10, 10])
const registry = Registry.genesis(
  committee.members.map((m) => ({ ...m, collateral: null })),
  3,
)
const genesisTxid = sha256(utf8ToBytes('sync client genesis')) as Txid
const genesisOutputs: SnapshotRecord[] = [0, 1].map((vout) => ({
  outpoint: { txid: genesisTxid, vout },
  output: { value: (5n * 100_000_000n) as Amount, address: new Uint8Array(20).fill(vout) as never },
  height: 0,
}))

/** Precommits by voters 0, 1 and 2 (30 of 40: a quorum) for `block`. */
function certify(block: Block): BlockCertificate {
  const h = block.header
  const hash = blockHash(h)
  const leaf = { kind: 'precommit', height: h.height, attempt: 0, blockHash: hash } as const
  return {
    height: h.height,
    attempt: 0,
    blockHash: hash,
    epoch: 0,
    entries: [0, 1, 2].map((v) => certificateEntry(batchBy(v, 0, [leaf]), 0)),
  }
}

/** A chain of `n` empty certified blocks on the genesis outputs, and the set after each. */
function chain(n: number): { blocks: CertifiedBlock[]; sets: SnapshotRecord[][] } {
  const blocks: CertifiedBlock[] = []
  const sets: SnapshotRecord[][] = []
  let prevHash = CONSENSUS_GENESIS
  let set = genesisOutputs
  for (let height = 1; height <= n; height++) {
    const block = emptyBlock(committee, voterKey(height % 4).publicKey, height, 0, prevHash, {
      timestamp: height,
      utxos: chainUtxoState(set),
    })
    const id = rewardTxid(height, prevHash)
    set = [
      ...set,
      ...block.reward.map((output, vout) => ({ outpoint: { txid: id, vout }, output, height })),
    ].sort((a, b) => compareOutPoints(a.outpoint, b.outpoint))
    blocks.push({ block, certificate: certify(block) })
    sets.push(set)
    prevHash = blockHash(block.header)
  }
  return { blocks, sets }
}

const genesisTip = { height: 0, hash: CONSENSUS_GENESIS }
const types = (actions: readonly SyncAction[]) => actions.map((a) => a.type)
const status = (peer: string, height: number) =>
  ({ type: 'status', peer, height, hash: new Uint8Array(32) }) as const

describe('outpoint order', () => {
  it('is the byte order of the 36-byte encodings', () => {
    const outpoint = fc.record({
      txid: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => b as Txid),
      vout: fc.nat({ max: 0xffff_ffff }),
    })
    fc.assert(
      fc.property(outpoint, outpoint, (a, b) => {
        const bytes = Math.sign(compareBytes(OutPointCodec.encode(a), OutPointCodec.encode(b)))
        expect(Math.sign(compareOutPoints(a, b))).toBe(bytes)
      }),
    )
    // vout 256 (00 01 00 00) comes before vout 1 (01 00 00 00).
    const t = genesisTxid
    expect(compareOutPoints({ txid: t, vout: 256 }, { txid: t, vout: 1 })).toBeLessThan(0)
  })
})

describe('snapshots', () => {
  const records: SnapshotRecord[] = Array.from({ length: 7 }, (_, i) => ({
    outpoint: { txid: sha256(Uint8Array.of(i)) as Txid, vout: i },
    output: { value: BigInt(1_000 + i) as Amount, address: new Uint8Array(20) as never },
    height: i,
  })).sort((a, b) => compareOutPoints(a.outpoint, b.outpoint))

  it('cut the set into full chunks in outpoint order; an empty set is one empty chunk', () => {
    const s = new ChainSnapshot(9, new Uint8Array(32), records, 3)
    expect(s.total).toBe(3)
    expect([0, 1, 2].map((i) => s.chunk(i)!.length)).toEqual([3, 3, 1])
    expect(s.chunk(3)).toBeUndefined()
    expect(s.chunk(-1)).toBeUndefined()
    const empty = new ChainSnapshot(9, new Uint8Array(32), [], 3)
    expect(empty.total).toBe(1)
    expect(empty.chunk(0)).toEqual([])
  })

  it('are taken at the tip only, kept while used, and at most maxSnapshots at once', () => {
    const cache = new SnapshotCache(2, 1_000)
    let taken = 0
    const take = (h: number) => () => {
      taken++
      return new ChainSnapshot(h, new Uint8Array(32), [], 3)
    }
    expect(cache.at(5, 0, { height: 6 }, take(6))).toBeUndefined()
    expect(cache.at(6, 0, { height: 6 }, take(6))?.height).toBe(6)
    expect(cache.at(6, 500, { height: 7 }, take(7))?.height).toBe(6) // kept though the tip moved
    expect(cache.at(7, 600, { height: 7 }, take(7))?.height).toBe(7)
    expect(cache.at(8, 700, { height: 8 }, take(8))?.height).toBe(8)
    expect(cache.size).toBe(2) // 6, least recently used, dropped
    expect(cache.at(6, 700, { height: 8 }, take(8))).toBeUndefined()
    expect(cache.at(8, 2_000, { height: 9 }, take(9))).toBeUndefined() // unused for too long
    expect(taken).toBe(3)
  })

  it('assemble chunk by chunk, from any peers, into the LtHash state of the whole set', () => {
    const s = new ChainSnapshot(9, new Uint8Array(32), records, 3)
    const a = new SnapshotAssembly(9, 3)
    for (let i = 0; i < s.total; i++)
      a.accept(i % 2 === 0 ? 'p' : 'q', { height: 9, index: i, total: 3, records: s.chunk(i)! })
    expect(a.complete).toBe(true)
    expect(a.count).toBe(7)
    expect([...a.sources]).toEqual(['p', 'q'])
    expect(a.state.equals(chainUtxoState(records))).toBe(true)
  })

  it.each([
    ['another height', { height: 8 }],
    ['another index', { index: 1 }],
    ['no chunks', { total: 0 }],
    ['more chunks than a snapshot may have', { total: 65_537 }],
    ['a middle chunk not full', { total: 3, records: records.slice(0, 2) }],
    ['more outputs than a chunk', { total: 3, records: records.slice(0, 4) }],
    ['outputs out of order', { records: [records[1]!, records[0]!, records[2]!] }],
    ['an output created after the block', { records: [{ ...records[0]!, height: 10 }] }],
  ])('refuse a chunk with %s', (_, over) => {
    const a = new SnapshotAssembly(9, 3)
    const chunk = { height: 9, index: 0, total: 3, records: records.slice(0, 3), ...over }
    expect(() => a.accept('p', chunk)).toThrow(
      expect.objectContaining({ code: 'SYNC_BAD_ANSWER', peerAction: 'low-tolerance' }),
    )
    expect(a.count).toBe(0)
  })

  it('refuse a total that changes, and an order broken across chunks', () => {
    const a = new SnapshotAssembly(9, 3)
    a.accept('p', { height: 9, index: 0, total: 3, records: records.slice(0, 3) })
    expect(() =>
      a.accept('p', { height: 9, index: 1, total: 2, records: records.slice(3, 6) }),
    ).toThrow(expect.objectContaining({ code: 'SYNC_BAD_ANSWER' }))
    expect(() =>
      a.accept('p', { height: 9, index: 1, total: 3, records: records.slice(2, 5) }),
    ).toThrow(expect.objectContaining({ code: 'SYNC_BAD_ANSWER' }))
  })
})

describe('a served block', () => {
  const { blocks } = chain(2)

  it('is checked against the tip and the committee of its epoch', () => {
    const checked = checkSyncedBlock(blocks[0]!, genesisTip, registry, CONSENSUS_GENESIS)
    expect(checked.tip.height).toBe(1)
    expect(checked.signatures.checks).toHaveLength(3)
    const again = checkSyncedBlock(blocks[1]!, checked.tip, checked.registry, CONSENSUS_GENESIS)
    expect(bytesToHex(again.tip.hash)).toBe(bytesToHex(blockHash(blocks[1]!.block.header)))
  })

  it.each<[string, () => CertifiedBlock, string]>([
    ['not the next height', () => blocks[1]!, 'BLOCK_INVALID'],
    ['another parent', () => chainOn(sha256(utf8ToBytes('elsewhere'))), 'BLOCK_NOT_EXTENDING'],
    [
      'a certificate for another block',
      () => ({ ...blocks[0]!, certificate: blocks[1]!.certificate }),
      'BLOCK_INVALID',
    ],
    [
      'a body other than the header commits to',
      () => ({ ...blocks[0]!, block: { ...blocks[0]!.block, reward: [] } }),
      'BLOCK_INVALID',
    ],
    [
      'a certificate short of a quorum',
      () => ({
        ...blocks[0]!,
        certificate: {
          ...blocks[0]!.certificate,
          entries: blocks[0]!.certificate.entries.slice(1),
        },
      }),
      'CERT_INSUFFICIENT_WEIGHT',
    ],
  ])('with %s is refused', (_, served, code) => {
    expect(() => checkSyncedBlock(served(), genesisTip, registry, CONSENSUS_GENESIS)).toThrow(
      expect.objectContaining({ code }),
    )
  })

  function chainOn(prevHash: Uint8Array): CertifiedBlock {
    const block = emptyBlock(committee, voterKey(1).publicKey, 1, 0, prevHash, { timestamp: 1 })
    return { block, certificate: certify(block) }
  }
})

describe('the sync client', () => {
  const { blocks, sets } = chain(5)
  const answer = (peer: string, from: number, to: number) =>
    ({
      type: 'answer',
      peer,
      message: { type: 'BlocksByRangeAnswer', blocks: blocks.slice(from - 1, to) },
    }) as const

  function blocksClient(rangeSize = 2) {
    return new SyncClient({
      mode: 'blocks',
      tip: genesisTip,
      registry,
      genesisHash: CONSENSUS_GENESIS,
      rangeSize,
    })
  }

  it('asks the peer ahead, checks, verifies, applies, and says when it has caught up', () => {
    const c = blocksClient()
    expect(c.handle(status('a', 3))).toEqual([
      { type: 'requestBlocks', peer: 'a', from: 1, count: 2 },
    ])
    expect(types(c.handle(answer('a', 1, 2)))).toEqual(['verify'])
    const apply = c.handle({ type: 'verified', error: null })
    expect(apply).toEqual([{ type: 'apply', blocks: blocks.slice(0, 2) }])
    expect(c.handle({ type: 'applied', height: 2 })).toEqual([
      {
        type: 'progress',
        progress: { phase: 'blocks', height: 2, target: 3, chunks: 0, totalChunks: 0 },
      },
      { type: 'requestBlocks', peer: 'a', from: 3, count: 1 },
    ])
    c.handle(answer('a', 3, 3))
    c.handle({ type: 'verified', error: null })
    const done = c.handle({ type: 'applied', height: 3 })
    expect(types(done)).toEqual(['progress', 'synced', 'progress'])
    expect(c.progress().phase).toBe('synced')
    expect(c.tip.height).toBe(3)
  })

  it('penalizes a wrong answer or a bad verdict, then asks another peer from where it stood', () => {
    const c = blocksClient()
    c.handle(status('a', 5))
    c.handle(status('b', 5))
    // `a` (first by name) answers from the wrong height: penalized, `b` asked the same range.
    const wrong = c.handle(answer('a', 2, 3))
    expect(wrong.map((x) => (x.type === 'penalize' ? [x.peer, x.error.code] : x.type))).toEqual([
      ['a', 'SYNC_BAD_ANSWER'],
      'requestBlocks',
    ])
    expect(wrong[1]).toMatchObject({ peer: 'b', from: 1 })
    c.handle(answer('b', 1, 2))
    const bad = c.handle({
      type: 'verified',
      error: Object.assign(new Error('bad'), {
        code: 'CERT_SIGNATURE',
        peerAction: 'low-tolerance',
      }) as never,
    })
    expect(bad[0]).toMatchObject({ type: 'penalize', peer: 'b' })
    // Both refused: nothing to ask until another peer reports its tip; statuses of refused peers
    // are ignored.
    expect(c.handle(status('a', 5))).toEqual([])
    expect(c.handle(status('c', 5))).toEqual([
      { type: 'requestBlocks', peer: 'c', from: 1, count: 2 },
    ])
    expect(c.tip.height).toBe(0)
  })

  it('keeps its progress when a peer fails mid-way and resumes at another', () => {
    const c = blocksClient(1)
    c.handle(status('a', 5))
    c.handle(status('b', 5))
    c.handle(answer('a', 1, 1))
    c.handle({ type: 'verified', error: null })
    c.handle({ type: 'applied', height: 1 })
    const failed = c.handle({
      type: 'failed',
      peer: 'a',
      error: Object.assign(new Error('reset'), { code: 'SYNC_REQUEST_FAILED' }) as never,
    })
    // No penalty: `b` (no failures) is asked for block 2, not block 1.
    expect(failed).toEqual([{ type: 'requestBlocks', peer: 'b', from: 2, count: 1 }])
    // `b` leaves with the request: `a` is asked again, still from block 2.
    expect(c.handle({ type: 'gone', peer: 'b' })).toEqual([
      { type: 'requestBlocks', peer: 'a', from: 2, count: 1 },
    ])
  })

  it('halts when the engine does not apply blocks whose certificates verified', () => {
    const c = blocksClient()
    c.handle(status('a', 2))
    c.handle(answer('a', 1, 2))
    c.handle({ type: 'verified', error: null })
    expect(types(c.handle({ type: 'notApplied', error: new Error('no') }))).toEqual([
      'halted',
      'progress',
    ])
    expect(c.handle(status('b', 9))).toEqual([])
  })

  it('bounds the peers it tracks, dropping the lowest tips', () => {
    const c = new SyncClient({
      mode: 'blocks',
      tip: { height: 10, hash: new Uint8Array(32) },
      registry,
      genesisHash: CONSENSUS_GENESIS,
      maxPeers: 3,
    })
    for (let i = 0; i < 10; i++) c.handle(status(`p${i}`, i))
    expect(c.sizes().peers).toBe(3)
    expect(c.progress().target).toBe(10)
  })

  function snapshotClient() {
    return new SyncClient({
      mode: 'snapshot',
      tip: genesisTip,
      registry,
      genesisHash: CONSENSUS_GENESIS,
      chunkRecords: 4,
    })
  }

  /** Chunks of the set after block `h`, 4 outputs each. */
  const chunks = (set: readonly SnapshotRecord[], height: number) => {
    const s = new ChainSnapshot(height, new Uint8Array(32), set, 4)
    return Array.from({ length: s.total }, (_, index) => ({
      type: 'SnapshotChunk' as const,
      height,
      index,
      total: s.total,
      records: s.chunk(index)!,
    }))
  }

  it('fetches the chunks, then every block up to them, and installs a set matching the commitment', () => {
    const c = snapshotClient()
    const set = sets[2]! // after block 3: two genesis outputs and three rewards
    expect(c.handle(status('a', 3))).toEqual([
      { type: 'requestChunk', peer: 'a', height: 3, index: 0 },
    ])
    const all = chunks(set, 3)
    const stored: SnapshotRecord[] = []
    for (const [i, chunk] of all.entries()) {
      const out = c.handle({ type: 'answer', peer: 'a', message: chunk })
      for (const a of out) if (a.type === 'storeChunk') stored.push(...a.records)
      const next = out.at(-1)!
      if (i < all.length - 1) expect(next).toMatchObject({ type: 'requestChunk', index: i + 1 })
      else expect(next).toMatchObject({ type: 'requestBlocks', from: 1 })
    }
    expect(stored).toEqual(set)
    c.handle(answer('a', 1, 3))
    const out = c.handle({ type: 'verified', error: null })
    const install = out.find((a) => a.type === 'install')
    expect(install?.type === 'install' && install.snapshot.tip.height).toBe(3)
    if (install?.type !== 'install') throw new Error('no install')
    expect(bytesToHex(install.snapshot.utxos.digest())).toBe(
      bytesToHex(blocks[2]!.block.header.utxoCommitment),
    )
    expect(install.snapshot.records).toBe(set.length)
    c.handle({ type: 'installed' })
    expect(c.mode).toBe('blocks')
  })

  it('resumed after a crash, asks for the next chunk only and installs the same set', () => {
    const set = sets[2]!
    const all = chunks(set, 3)
    expect(all.length).toBeGreaterThan(1)
    // Before the crash: the first chunk stored, with its marker.
    const before = snapshotClient()
    before.handle(status('a', 3))
    const first = before.handle({ type: 'answer', peer: 'a', message: all[0]! })
    const stored = first.find((a) => a.type === 'storeChunk')
    if (stored?.type !== 'storeChunk') throw new Error('no chunk stored')
    expect(stored.staged).toMatchObject({ height: 3, next: 1, count: all[0]!.records.length })
    // After it: a new client from that marker.
    const c = new SyncClient({
      mode: 'snapshot',
      tip: genesisTip,
      registry,
      genesisHash: CONSENSUS_GENESIS,
      chunkRecords: 4,
      resume: stored.staged,
    })
    expect(c.progress()).toMatchObject({ chunks: 1, totalChunks: all.length })
    expect(c.handle(status('a', 4))).toEqual([
      { type: 'requestChunk', peer: 'a', height: 3, index: 1 },
    ])
    for (const chunk of all.slice(1)) c.handle({ type: 'answer', peer: 'a', message: chunk })
    c.handle(answer('a', 1, 3))
    const install = c.handle({ type: 'verified', error: null }).find((a) => a.type === 'install')
    if (install?.type !== 'install') throw new Error('no install')
    expect(install.snapshot.records).toBe(set.length)
    expect(bytesToHex(install.snapshot.utxos.digest())).toBe(
      bytesToHex(blocks[2]!.block.header.utxoCommitment),
    )
  })

  it('resumed at a height its peers no longer serve, discards it and starts over', () => {
    const before = snapshotClient()
    before.handle(status('a', 3))
    const first = before.handle({ type: 'answer', peer: 'a', message: chunks(sets[2]!, 3)[0]! })
    const stored = first.find((a) => a.type === 'storeChunk')
    if (stored?.type !== 'storeChunk') throw new Error('no chunk stored')
    const c = new SyncClient({
      mode: 'snapshot',
      tip: genesisTip,
      registry,
      genesisHash: CONSENSUS_GENESIS,
      chunkRecords: 4,
      resume: stored.staged,
    })
    c.handle(status('a', 5))
    const unavailable = c.handle({
      type: 'answer',
      peer: 'a',
      message: { type: 'SyncError', error: { code: 'SYNC_UNAVAILABLE', message: 'gone' } },
    })
    expect(types(unavailable)).toContain('discardSnapshot')
    expect(unavailable.filter((a) => a.type === 'penalize')).toEqual([])
  })

  it('penalizes the one peer whose set misses the commitment and discards it', () => {
    const c = snapshotClient()
    c.handle(status('a', 2))
    const wrong = sets[1]!.map((r, i) =>
      i === 0 ? { ...r, output: { ...r.output, value: (r.output.value + 1n) as Amount } } : r,
    )
    for (const chunk of chunks(wrong, 2)) c.handle({ type: 'answer', peer: 'a', message: chunk })
    c.handle(answer('a', 1, 2))
    const out = c.handle({ type: 'verified', error: null })
    expect(out.map((a) => (a.type === 'penalize' ? a.error.code : a.type))).toEqual([
      'progress',
      'SYNC_SNAPSHOT_MISMATCH',
      'discardSnapshot',
    ])
    // The blocks it checked stay checked: a new snapshot needs only the blocks above them.
    expect(c.tip.height).toBe(2)
  })

  it('the state after a block is the state of its set (the commitment a snapshot is checked by)', () => {
    const after = chainStateAfter(
      chainUtxoState(sets[0]!),
      {
        transactions: [],
        rewardTxid: rewardTxid(2, blockHash(blocks[0]!.block.header)),
        reward: blocks[1]!.block.reward,
      },
      () => undefined,
    )
    expect(after.equals(chainUtxoState(sets[1]!))).toBe(true)
    expect(new LtHash().equals(chainUtxoState([]))).toBe(true)
  })
})
