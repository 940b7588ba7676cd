// Genesis tooling: a genesis made, written and read back keeps its hash (whatever the JSON's
// formatting), opens an engine on a MemoryStore whose tip and UTXO set are the genesis's, and every
// malformed, rule-breaking or edited genesis is a typed error; the devnet of a seed is the same
// everywhere (pinned); `timecoin genesis new` and `timecoin genesis hash` agree.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import {
  addressFromPublicKey,
  bytesToHex,
  COIN,
  committeeHash,
  DomainTags,
  generateKeyPair,
  MemoryStore,
  openEngine,
  taggedHash,
} from '../../../src/core/index.ts'
import { loadKeyFile } from '../../../src/node/datadir/index.ts'
import { GenesisError } from '../../../src/node/errors.ts'
import {
  devnetGenesis,
  genesisJson,
  genesisTxid,
  loadGenesis,
  loadGenesisFile,
  newGenesis,
  writeNewGenesis,
} from '../../../src/node/genesis/index.ts'

const run = promisify(execFile)
const main = join(import.meta.dirname, '../../../src/node/cli/main.ts')
const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'timecoin-genesis-'))
  dirs.push(dir)
  return dir
}

function genesisError(f: () => unknown): GenesisError {
  try {
    f()
  } catch (e) {
    if (e instanceof GenesisError) return e
    throw e
  }
  throw new Error('expected a GenesisError')
}

/** The devnet of seed "vector": its hash is pinned so the canonical form cannot drift unseen. */
const VECTOR_HASH = '36aead75348a0be17d7c889547996845d95d8931e21b93c9b39dec53e12357c7'

describe('genesis', () => {
  it('the devnet of a seed is the same everywhere, and another seed is another network', () => {
    const a = devnetGenesis({ seed: 'vector' })
    const b = devnetGenesis({ seed: 'vector' })
    expect(bytesToHex(a.hash)).toBe(bytesToHex(b.hash))
    expect(a.masternodeKeys.map((k) => bytesToHex(k.secretKey))).toEqual(
      b.masternodeKeys.map((k) => bytesToHex(k.secretKey)),
    )
    expect(bytesToHex(a.hash)).toBe(VECTOR_HASH)
    expect(bytesToHex(devnetGenesis({ seed: 'other' }).hash)).not.toBe(bytesToHex(a.hash))
    expect(a.spec).toMatchObject({
      network: 'devnet',
      timestamp: 0,
      blockIntervalMs: 2_000,
      minCommittee: 3,
    })
    expect(a.spec.committee).toHaveLength(4)
    expect(a.spec.allocations[0]).toEqual({
      value: 1_000_000n * COIN,
      address: expect.any(Uint8Array),
    })
    expect(bytesToHex(a.engine.genesis.txid)).toBe(
      bytesToHex(taggedHash(DomainTags.genesisTx, a.hash)),
    )
  })

  it('hashes the documented canonical body', () => {
    const { spec, hash, engine } = devnetGenesis({ seed: 'vector' })
    // u8 version ‖ u8 network ‖ u64le timestamp ‖ u32le interval ‖ u16le minimum ‖ committeeHash
    // ‖ u32le count ‖ (u64le value ‖ payload20)…
    const parts: number[] = [1, 2, ...new Array(8).fill(0)]
    const le = (n: number, bytes: number) =>
      Array.from({ length: bytes }, (_, i) => Number((BigInt(n) >> BigInt(8 * i)) & 0xffn))
    parts.push(...le(spec.blockIntervalMs, 4), ...le(spec.minCommittee, 2))
    parts.push(...committeeHash(engine.committee))
    parts.push(...le(spec.allocations.length, 4))
    for (const o of spec.allocations) {
      parts.push(...Array.from({ length: 8 }, (_, i) => Number((o.value >> BigInt(8 * i)) & 0xffn)))
      parts.push(...o.address)
    }
    expect(bytesToHex(taggedHash(DomainTags.genesis, Uint8Array.from(parts)))).toBe(
      bytesToHex(hash),
    )
  })

  it('keeps its hash through JSON, whatever the formatting; a recorded hash catches edits', () => {
    const g = newGenesis({ network: 'testnet', timestamp: 1_767_225_600 })
    const text = genesisJson(g.spec)
    const loaded = loadGenesis(text)
    expect(loaded.hashHex).toBe(bytesToHex(g.hash))
    expect(JSON.parse(text).hash).toBe(loaded.hashHex)
    // Other whitespace, other key order, no recorded hash: the same network.
    const json = JSON.parse(text)
    const { hash: _, ...rest } = json
    const reordered = Object.fromEntries(Object.entries(rest).reverse())
    expect(loadGenesis(JSON.stringify(reordered)).hashHex).toBe(loaded.hashHex)
    // Any field that matters changes the hash; with the old hash recorded, it is refused.
    const edited = { ...json, blockIntervalMs: json.blockIntervalMs + 1 }
    const e = genesisError(() => loadGenesis(JSON.stringify(edited)))
    expect(e.code).toBe('GENESIS_HASH_MISMATCH')
    expect(e.message).toContain('edited after it was made')
    const { hash: _h, ...unrecorded } = edited
    expect(loadGenesis(JSON.stringify(unrecorded)).hashHex).not.toBe(loaded.hashHex)
    // What the operator expects: the network and the hash.
    expect(genesisError(() => loadGenesis(text, { network: 'mainnet' })).message).toMatch(
      /a testnet genesis, and this node runs mainnet/,
    )
    expect(genesisError(() => loadGenesis(text, { hash: new Uint8Array(32) })).code).toBe(
      'GENESIS_HASH_MISMATCH',
    )
    expect(loadGenesis(text, { network: 'testnet', hash: g.hash }).hashHex).toBe(loaded.hashHex)
  })

  it('refuses malformed and rule-breaking genesis files with typed errors', () => {
    const g = newGenesis({ network: 'testnet', timestamp: 1 })
    const base = JSON.parse(genesisJson(g.spec))
    delete base.hash
    const mainnetAddress = addressFromPublicKey(generateKeyPair().publicKey, 'mainnet')
    const key0 = base.committee[0].key
    const cases: [string, unknown, string, RegExp][] = [
      ['not json', '{', 'GENESIS_FORMAT', /not JSON/],
      ['unknown field', { ...base, extra: 1 }, 'GENESIS_FORMAT', /unknown field "extra"/],
      [
        'missing field',
        { ...base, minCommittee: undefined },
        'GENESIS_FORMAT',
        /missing field "minCommittee"/,
      ],
      ['format', { ...base, format: 'x' }, 'GENESIS_FORMAT', /"format" must be "timecoin-genesis"/],
      [
        'network',
        { ...base, network: 'regtest' },
        'GENESIS_FORMAT',
        /"network" must be mainnet, testnet or devnet/,
      ],
      [
        'amount type',
        { ...base, allocations: [{ address: base.allocations[0].address, amount: 5 }] },
        'GENESIS_FORMAT',
        /allocations\[0\]: "amount" must be a decimal TIME string/,
      ],
      [
        'tier and weight',
        { ...base, committee: [{ key: key0, tier: 'bronze', weight: 10 }] },
        'GENESIS_FORMAT',
        /committee\[0\]: give exactly one of "tier" and "weight"/,
      ],
      [
        'weight off devnet',
        {
          ...base,
          committee: base.committee.map((m: { key: string }) => ({ key: m.key, weight: 10 })),
        },
        'GENESIS_INVALID',
        /weight without a tier is for devnets only/,
      ],
      [
        'below minimum',
        { ...base, committee: base.committee.slice(0, 2) },
        'GENESIS_INVALID',
        /2 voting members, below its minimum of 3: finality would halt/,
      ],
      [
        'free members',
        {
          ...base,
          committee: base.committee.map((m: { key: string }) => ({ key: m.key, tier: 'free' })),
        },
        'GENESIS_INVALID',
        /0 voting members/,
      ],
      [
        'minimum below network',
        { ...base, minCommittee: 2 },
        'GENESIS_INVALID',
        /minCommittee on testnet must be an integer in \[3, 1000\]/,
      ],
      [
        'duplicate key',
        { ...base, committee: [...base.committee, base.committee[0]] },
        'GENESIS_INVALID',
        /committee: duplicate member/,
      ],
      [
        'weak key',
        { ...base, committee: [...base.committee, { key: '00'.repeat(32), tier: 'bronze' }] },
        'GENESIS_INVALID',
        /committee: /,
      ],
      [
        'other network address',
        { ...base, allocations: [{ address: mainnetAddress, amount: '1' }] },
        'GENESIS_INVALID',
        /allocations\[0\]: /,
      ],
      [
        'zero amount',
        { ...base, allocations: [{ address: base.allocations[0].address, amount: '0' }] },
        'GENESIS_INVALID',
        /output 0 value 0 not in/,
      ],
      [
        'interval',
        { ...base, blockIntervalMs: 10 },
        'GENESIS_INVALID',
        /blockIntervalMs must be an integer in \[100, 86400000\]/,
      ],
    ]
    for (const [name, doc, code, message] of cases) {
      const e = genesisError(() => loadGenesis(typeof doc === 'string' ? doc : JSON.stringify(doc)))
      expect(e.code, name).toBe(code)
      expect(e.message, name).toMatch(message)
    }
    expect(genesisError(() => newGenesis({ network: 'mainnet', seed: 'x' })).code).toBe(
      'GENESIS_INVALID',
    )
  })

  it('writes a genesis and its keys, loads it back, and opens an engine on a MemoryStore from it', async () => {
    const dir = await tempDir()
    const g = newGenesis({ network: 'devnet', masternodes: 4, blockIntervalMs: 1_000 })
    const written = await writeNewGenesis(dir, g)
    expect((await stat(written.genesis)).mode & 0o777).toBe(0o644)
    expect(written.keys.map((k) => k.role)).toEqual([
      'masternode',
      'masternode',
      'masternode',
      'masternode',
      'wallet',
    ])
    for (const k of written.keys) expect((await stat(k.path)).mode & 0o777).toBe(0o600)
    await expect(writeNewGenesis(dir, g)).rejects.toMatchObject({ code: 'EEXIST' })

    const loaded = await loadGenesisFile(written.genesis, { network: 'devnet' })
    expect(loaded.hashHex).toBe(bytesToHex(g.hash))
    const key = await loadKeyFile(written.keys[0]!.path, { role: 'masternode', network: 'devnet' })
    const store = new MemoryStore()
    const engine = await openEngine(store, { ...loaded.engine, key })
    expect(engine.tip).toEqual({ height: 0, hash: loaded.hash })
    expect(engine.isVoter).toBe(true)
    expect(engine.committee.members).toHaveLength(4)
    const txid = genesisTxid(loaded.hash)
    const faucet = engine.ledger.utxos.get({ txid, vout: 0 })
    expect(faucet?.output.value).toBe(1_000_000n * COIN)
    expect(faucet?.state.kind).toBe('Unspent')
    expect(engine.ledger.utxos.summary().count).toBe(5)
    // The store now belongs to this genesis: opened again it restores the same node.
    const again = await openEngine(store, { ...loaded.engine, key })
    expect(again.ledger.utxos.summary()).toEqual(engine.ledger.utxos.summary())
  })

  it('names the file in errors, and refuses an edited file by its recorded hash', async () => {
    const dir = await tempDir()
    const path = join(dir, 'genesis.json')
    const text = genesisJson(devnetGenesis({ seed: 'edit' }).spec)
    await writeFile(path, text.replace('"blockIntervalMs": 2000', '"blockIntervalMs": 3000'))
    await expect(loadGenesisFile(path)).rejects.toMatchObject({
      code: 'GENESIS_HASH_MISMATCH',
      message: expect.stringMatching(new RegExp(`^${path}: genesis: its contents hash to`)),
    })
    await expect(loadGenesisFile(join(dir, 'none.json'))).rejects.toMatchObject({
      code: 'GENESIS_FORMAT',
      message: expect.stringContaining('no such file'),
    })
  })

  it('timecoin genesis new writes what timecoin genesis hash checks', async () => {
    const dir = await tempDir()
    const out = join(dir, 'net')
    const made = await run(
      process.execPath,
      [
        main,
        'genesis',
        'new',
        '--network',
        'testnet',
        '--out',
        out,
        '--masternodes',
        '3',
        '--block-interval',
        '5',
        '--timestamp',
        '1767225600',
      ],
      { timeout: 20_000 },
    )
    const report = JSON.parse(made.stdout)
    expect(report.network).toBe('testnet')
    expect(report.keys).toHaveLength(4)
    const spec = JSON.parse(await readFile(join(out, 'genesis.json'), 'utf8'))
    expect(spec).toMatchObject({
      network: 'testnet',
      blockIntervalMs: 5_000,
      timestamp: 1_767_225_600,
      hash: report.hash,
    })
    const hashed = await run(
      process.execPath,
      [main, 'genesis', 'hash', join(out, 'genesis.json')],
      {
        timeout: 20_000,
      },
    )
    expect(hashed.stdout).toBe(`${report.hash}\n`)
    const failed = await run(
      process.execPath,
      [main, 'genesis', 'hash', join(out, 'keys/faucet.key')],
      {
        timeout: 20_000,
      },
    ).catch((e: { code: number; stderr: string }) => e)
    expect(failed).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^error \[GENESIS_FORMAT\]: .*unknown field/),
    })
  })
})
