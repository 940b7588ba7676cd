/**
 * The one conformance suite every `Store` adapter runs (memory in Node and Chromium, LevelDB in
 * Node, IndexedDB in Chromium): the port's contract as executable checks, ending with a
 * property test against a reference model (a Map, sorted on demand).
 */
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  type BatchOp,
  type IterateOptions,
  StorageError,
  type Store,
  type StoreEntry,
} from '../../src/core/storage/index.ts'

export interface StoreFixture {
  store: Store
  /** Opens the same data again after `store` is closed; enables the persistence test. */
  reopen?: () => Promise<Store>
  cleanup?: () => Promise<void>
}

export interface ConformanceOptions {
  /** Random op sequences in the model test (default 100); slow adapters may run fewer. */
  readonly propertyRuns?: number
}

const b = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes)

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (x) => x.toString(16).padStart(2, '0')).join('')
}

/** Unsigned lexicographic order, shorter first: written out again here, not imported. */
function compareKeys(a: Uint8Array, c: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, c.length); i++) {
    if (a[i] !== c[i]) return a[i]! - c[i]!
  }
  return a.length - c.length
}

async function collect(entries: AsyncIterable<StoreEntry>): Promise<StoreEntry[]> {
  const out: StoreEntry[] = []
  for await (const entry of entries) out.push(entry)
  return out
}

/** `key=value` hex strings, in scan order. */
async function scan(store: Store, opts: IterateOptions = {}): Promise<string[]> {
  return (await collect(store.iterate(opts))).map(([k, v]) => `${hex(k)}=${hex(v)}`)
}

async function scanKeys(store: Store, opts: IterateOptions = {}): Promise<string[]> {
  return (await collect(store.iterate(opts))).map(([k]) => hex(k))
}

async function expectStorageError(pending: Promise<unknown>, code: string): Promise<void> {
  const err = await pending.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(StorageError)
  expect(err).toMatchObject({ code, domain: 'storage' })
}

/** What a scan with `opts` must yield from `entries`, computed the obvious way. */
function modelScan(entries: Iterable<StoreEntry>, opts: IterateOptions): StoreEntry[] {
  const { prefix, gt, gte, lt, lte } = opts
  const selected = [...entries]
    .filter(
      ([k]) =>
        (prefix === undefined ||
          (k.length >= prefix.length && prefix.every((x, i) => k[i] === x))) &&
        (gt === undefined || compareKeys(k, gt) > 0) &&
        (gte === undefined || compareKeys(k, gte) >= 0) &&
        (lt === undefined || compareKeys(k, lt) < 0) &&
        (lte === undefined || compareKeys(k, lte) <= 0),
    )
    .sort(([a], [c]) => compareKeys(a, c))
  if (opts.reverse === true) selected.reverse()
  return selected.slice(0, opts.limit ?? selected.length)
}

const show = (entries: StoreEntry[]): string[] => entries.map(([k, v]) => `${hex(k)}=${hex(v)}`)

export function storeConformance(
  name: string,
  open: () => Promise<StoreFixture>,
  options: ConformanceOptions = {},
): void {
  describe(`Store conformance: ${name}`, () => {
    let fixture: StoreFixture
    let store: Store
    let reopened: Store[]

    beforeEach(async () => {
      fixture = await open()
      store = fixture.store
      reopened = []
    })

    afterEach(async () => {
      for (const s of [store, ...reopened]) await s.close()
      await fixture.cleanup?.()
    })

    async function fill(keys: Uint8Array[]): Promise<void> {
      await store.write(keys.map((key) => ({ type: 'put', key, value: b(key.length) })))
    }

    it('gets, puts, overwrites and deletes', async () => {
      const key = b(1, 2, 3)
      expect(await store.get(key)).toBeUndefined()
      expect(await store.has(key)).toBe(false)
      await store.put(key, b(9))
      expect(await store.get(key)).toEqual(b(9))
      expect(await store.has(key)).toBe(true)
      await store.put(key, b(8, 8))
      expect(await store.get(key)).toEqual(b(8, 8))
      await store.delete(key)
      expect(await store.get(key)).toBeUndefined()
      expect(await store.has(key)).toBe(false)
      await store.delete(key) // absent: not an error
      expect(await store.get(b(1, 2))).toBeUndefined() // a prefix of a key is another key
    })

    it('stores an empty value as present', async () => {
      await store.put(b(1), new Uint8Array(0))
      const value = await store.get(b(1))
      expect(value).toBeInstanceOf(Uint8Array)
      expect(value).toHaveLength(0)
      expect(await store.has(b(1))).toBe(true)
      expect(await scan(store)).toEqual(['01='])
    })

    it('orders binary keys by unsigned bytes, a prefix before its extensions', async () => {
      const sorted = [
        b(0x00),
        b(0x00, 0x00),
        b(0x00, 0xff),
        b(0x01),
        b(0x7f),
        b(0x7f, 0xff, 0xff),
        b(0x80),
        b(0x80, 0x00),
        b(0xfe),
        b(0xff),
        b(0xff, 0x00),
        b(0xff, 0xff),
        b(0xff, 0xff, 0xff),
      ]
      const shuffled = [...sorted].sort(() => 0.5 - Math.random())
      for (const key of shuffled) await store.put(key, b(0))
      expect(await scanKeys(store)).toEqual(sorted.map(hex))
      expect(await scanKeys(store, { reverse: true })).toEqual(sorted.map(hex).reverse())
    })

    it('rejects malformed keys, values and options with typed errors', async () => {
      const notBytes = [1, 2] as unknown as Uint8Array
      await expectStorageError(store.put(new Uint8Array(0), b(1)), 'STORE_INVALID_KEY')
      await expectStorageError(store.put(notBytes, b(1)), 'STORE_INVALID_KEY')
      await expectStorageError(store.get('01' as unknown as Uint8Array), 'STORE_INVALID_KEY')
      await expectStorageError(store.has(notBytes), 'STORE_INVALID_KEY')
      await expectStorageError(store.delete(notBytes), 'STORE_INVALID_KEY')
      await expectStorageError(store.put(b(1), notBytes), 'STORE_INVALID_VALUE')
      await expectStorageError(
        store.put(b(1), b(1), { sync: 'yes' as unknown as boolean }),
        'STORE_INVALID_OPTION',
      )
      for (const opts of [
        { gt: b(1), gte: b(1) },
        { lt: b(1), lte: b(1) },
        { limit: -1 },
        { limit: 1.5 },
        { prefix: notBytes },
      ]) {
        await expectStorageError(collect(store.iterate(opts)), 'STORE_INVALID_OPTION')
      }
      expect(await scan(store)).toEqual([])
    })

    it('scans a prefix, including prefixes ending in 0xff bytes', async () => {
      await fill([
        b(0x01),
        b(0x01, 0x00),
        b(0x01, 0xfe),
        b(0x01, 0xff),
        b(0x01, 0xff, 0x00),
        b(0x01, 0xff, 0xff, 0xff),
        b(0x02),
        b(0x02, 0x00),
        b(0xff, 0xfe),
        b(0xff, 0xff),
        b(0xff, 0xff, 0x05),
      ])
      expect(await scanKeys(store, { prefix: b(0x01) })).toEqual([
        '01',
        '0100',
        '01fe',
        '01ff',
        '01ff00',
        '01ffffff',
      ])
      expect(await scanKeys(store, { prefix: b(0x01, 0xff) })).toEqual([
        '01ff',
        '01ff00',
        '01ffffff',
      ])
      expect(await scanKeys(store, { prefix: b(0x01, 0xff), reverse: true })).toEqual([
        '01ffffff',
        '01ff00',
        '01ff',
      ])
      expect(await scanKeys(store, { prefix: b(0xff, 0xff) })).toEqual(['ffff', 'ffff05'])
      expect(await scanKeys(store, { prefix: b(0xff) })).toEqual(['fffe', 'ffff', 'ffff05'])
      expect(await scanKeys(store, { prefix: b(0x03) })).toEqual([])
      expect(await scanKeys(store, { prefix: new Uint8Array(0) })).toHaveLength(11)
    })

    it('honours every combination of bounds, in both directions', async () => {
      const keys = [0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18].map((x) => b(x))
      keys.push(b(0x13, 0x00), b(0x17, 0x00))
      await fill(keys)
      const entries = keys.map((k): StoreEntry => [k, b(k.length)])
      const lowers = [{}, { gt: b(0x13) }, { gte: b(0x13) }, { gt: b(0x13, 0x80) }]
      const uppers = [{}, { lt: b(0x17) }, { lte: b(0x17) }, { lte: b(0x16, 0xff) }]
      for (const lower of lowers) {
        for (const upper of uppers) {
          for (const reverse of [false, true]) {
            const opts: IterateOptions = { ...lower, ...upper, reverse }
            expect(await scan(store, opts), JSON.stringify(opts)).toEqual(
              show(modelScan(entries, opts)),
            )
          }
        }
      }
      expect(await scanKeys(store, { gt: b(0x13), lte: b(0x15) })).toEqual(['1300', '14', '15'])
    })

    it('intersects a prefix with bounds', async () => {
      await fill([b(0x04, 0x09), b(0x05), b(0x05, 0x01), b(0x05, 0x02), b(0x05, 0x07), b(0x06)])
      const prefix = b(0x05)
      expect(await scanKeys(store, { prefix, gt: b(0x05, 0x01), lte: b(0x05, 0x07) })).toEqual([
        '0502',
        '0507',
      ])
      expect(await scanKeys(store, { prefix, gte: b(0x04), lt: b(0x06, 0x00) })).toEqual([
        '05',
        '0501',
        '0502',
        '0507',
      ])
      expect(await scanKeys(store, { prefix, lt: b(0x05, 0x02), reverse: true })).toEqual([
        '0501',
        '05',
      ])
      expect(await scanKeys(store, { prefix, gt: b(0x06) })).toEqual([])
      expect(await scanKeys(store, { prefix, lt: b(0x05) })).toEqual([])
    })

    it('yields nothing for an empty range or a zero limit', async () => {
      await fill([b(3), b(5), b(7)])
      for (const opts of [
        { gt: b(5), lt: b(5) },
        { gte: b(5), lt: b(5) },
        { gt: b(5), lte: b(5) },
        { gte: b(7), lte: b(3) },
        { lt: new Uint8Array(0) },
        { limit: 0 },
        { limit: 0, reverse: true },
      ]) {
        expect(await scan(store, opts), JSON.stringify(opts)).toEqual([])
      }
      expect(await scanKeys(store, { gte: b(5), lte: b(5) })).toEqual(['05'])
    })

    it('limits a scan in either direction', async () => {
      await fill([1, 2, 3, 4, 5, 6].map((x) => b(x)))
      expect(await scanKeys(store, { limit: 3 })).toEqual(['01', '02', '03'])
      expect(await scanKeys(store, { limit: 3, reverse: true })).toEqual(['06', '05', '04'])
      expect(await scanKeys(store, { limit: 2, gt: b(2), reverse: true })).toEqual(['06', '05'])
      expect(await scanKeys(store, { limit: 2, lt: b(5), reverse: true })).toEqual(['04', '03'])
      expect(await scanKeys(store, { limit: 100 })).toHaveLength(6)
      expect(await scanKeys(store, { limit: 1, prefix: b(4) })).toEqual(['04'])
    })

    it('scans more entries than one read chunk', async () => {
      const keys = Array.from({ length: 700 }, (_, i) => b(0x01, i >> 8, i & 0xff))
      await fill(keys)
      const all = await scanKeys(store)
      expect(all).toEqual(keys.map(hex))
      expect(await scanKeys(store, { reverse: true })).toEqual(keys.map(hex).reverse())
      expect(await scanKeys(store, { limit: 600, gt: b(0x01, 0x00, 0x10) })).toEqual(
        keys.slice(17, 617).map(hex),
      )
    })

    it('writes a batch of puts and deletes', async () => {
      await fill([b(1), b(2)])
      await store.write([
        { type: 'put', key: b(3), value: b(0x33) },
        { type: 'del', key: b(1) },
        { type: 'put', key: b(2), value: b(0x22) },
        { type: 'del', key: b(9) },
      ])
      expect(await scan(store)).toEqual(['02=22', '03=33'])
      await store.write([])
      expect(await scan(store)).toEqual(['02=22', '03=33'])
    })

    it('lets a later op on a key win within a batch', async () => {
      await store.put(b(3), b(0x30))
      await store.write([
        { type: 'put', key: b(1), value: b(0x10) },
        { type: 'put', key: b(1), value: b(0x11) },
        { type: 'put', key: b(2), value: b(0x20) },
        { type: 'del', key: b(2) },
        { type: 'del', key: b(3) },
        { type: 'put', key: b(3), value: b(0x31) },
      ])
      expect(await scan(store)).toEqual(['01=11', '03=31'])
    })

    it('leaves the store unchanged when any op of a batch is invalid', async () => {
      await fill([b(1), b(2)])
      const before = await scan(store)
      const valid: BatchOp[] = [
        { type: 'put', key: b(5), value: b(5) },
        { type: 'del', key: b(1) },
      ]
      const bad: [unknown, string][] = [
        [{ type: 'put', key: 'k', value: b(1) }, 'STORE_INVALID_KEY'],
        [{ type: 'put', key: new Uint8Array(0), value: b(1) }, 'STORE_INVALID_KEY'],
        [{ type: 'del', key: undefined }, 'STORE_INVALID_KEY'],
        [{ type: 'put', key: b(6), value: [1] }, 'STORE_INVALID_VALUE'],
        [{ type: 'merge', key: b(6) }, 'STORE_INVALID_OP'],
        [null, 'STORE_INVALID_OP'],
      ]
      for (const [op, code] of bad) {
        const ops = [...valid, op, ...valid] as BatchOp[]
        await expectStorageError(store.write(ops), code)
        expect(await scan(store)).toEqual(before)
      }
      await expectStorageError(store.write('ops' as unknown as BatchOp[]), 'STORE_INVALID_OP')
      expect(await scan(store)).toEqual(before)
    })

    it('accepts durable (sync) writes', async () => {
      await store.put(b(1), b(1), { sync: true })
      await store.write([{ type: 'put', key: b(2), value: b(2) }], { sync: true })
      await store.delete(b(1), { sync: true })
      await store.put(b(3), b(3), { sync: false })
      expect(await scanKeys(store)).toEqual(['02', '03'])
    })

    it('copies bytes in and out, so neither side can change the other', async () => {
      const key = b(1, 1)
      const value = b(7, 7)
      const pending = store.put(key, value)
      key[1] = 2 // mutated before the put resolves: the store already holds its own copy
      value[0] = 0
      await pending
      expect(await store.get(b(1, 1))).toEqual(b(7, 7))
      expect(await store.has(b(1, 2))).toBe(false)

      const batchValue = b(8)
      const batch = store.write([{ type: 'put', key: b(2), value: batchValue }])
      batchValue[0] = 0
      await batch
      expect(await store.get(b(2))).toEqual(b(8))

      const got = (await store.get(b(1, 1)))!
      got[0] = 0
      expect(await store.get(b(1, 1))).toEqual(b(7, 7))

      for await (const [k, v] of store.iterate()) {
        k[0] = 0xee
        v.fill(0)
      }
      expect(await scan(store)).toEqual(['0101=0707', '02=08'])
    })

    it('keeps a scan ordered while writes land during it', async () => {
      for (const reverse of [false, true]) {
        const evens = Array.from({ length: 20 }, (_, i) => b(0x02, i * 2))
        await fill(evens)
        const seen: Uint8Array[] = []
        for await (const [key] of store.iterate({ prefix: b(0x02), reverse })) {
          seen.push(key)
          if (seen.length === 4) {
            await store.write([
              { type: 'del', key: b(0x02, 20) },
              ...[1, 19, 21, 37].map(
                (x): BatchOp => ({ type: 'put', key: b(0x02, x), value: b() }),
              ),
            ])
          }
        }
        for (let i = 1; i < seen.length; i++) {
          expect(compareKeys(seen[i - 1]!, seen[i]!) * (reverse ? -1 : 1)).toBeLessThan(0)
        }
        const seenHex = new Set(seen.map(hex))
        for (const key of evens.filter((k) => k[1] !== 20)) expect(seenHex).toContain(hex(key))
        await store.write((await collect(store.iterate())).map(([key]) => ({ type: 'del', key })))
      }
    })

    it('persists across close and reopen', async (ctx) => {
      if (fixture.reopen === undefined) return ctx.skip()
      await store.put(b(2), b(0x22))
      await store.write(
        [
          { type: 'put', key: b(1), value: b(0x11) },
          { type: 'put', key: b(0xff, 0x00), value: new Uint8Array(0) },
        ],
        { sync: true },
      )
      await store.delete(b(2))
      await store.close()
      const again = await fixture.reopen()
      reopened.push(again)
      expect(await scan(again)).toEqual(['01=11', 'ff00='])
    })

    it('rejects every operation after close with STORE_CLOSED', async () => {
      await store.put(b(1), b(1))
      await store.close()
      await store.close() // idempotent
      await expectStorageError(store.get(b(1)), 'STORE_CLOSED')
      await expectStorageError(store.has(b(1)), 'STORE_CLOSED')
      await expectStorageError(store.put(b(1), b(2)), 'STORE_CLOSED')
      await expectStorageError(store.delete(b(1)), 'STORE_CLOSED')
      await expectStorageError(store.write([{ type: 'del', key: b(1) }]), 'STORE_CLOSED')
      await expectStorageError(collect(store.iterate()), 'STORE_CLOSED')
    })

    it('fails a running scan at its next step once the store closes', async () => {
      await fill([b(1), b(2), b(3)])
      const scanning = store.iterate()[Symbol.asyncIterator]()
      expect((await scanning.next()).value?.[0]).toEqual(b(1))
      await store.close()
      await expectStorageError(scanning.next(), 'STORE_CLOSED')
    })

    it('agrees with a reference model over random operations', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(command, { maxLength: 60, size: 'medium' }), async (commands) => {
          const fresh = await open()
          try {
            await checkAgainstModel(fresh.store, commands)
          } finally {
            await fresh.store.close()
            await fresh.cleanup?.()
          }
        }),
        { numRuns: options.propertyRuns ?? 100 },
      )
    })
  })
}

// A small byte alphabet with the edge bytes, so keys collide, nest and straddle 0x7f/0x80.
const edgeByte = fc.constantFrom(0x00, 0x7f, 0x80, 0xff)
const bytesOf = (minLength: number, maxLength: number) =>
  fc.array(edgeByte, { minLength, maxLength }).map((xs) => Uint8Array.from(xs))
const keyArb = bytesOf(1, 3)
// Short bounds and prefixes, so that most scans select some of the keys.
const boundArb = bytesOf(0, 2)
const valueArb = fc.uint8Array({ maxLength: 4 })
const opArb: fc.Arbitrary<BatchOp> = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key: keyArb, value: valueArb }),
  fc.record({ type: fc.constant('del' as const), key: keyArb }),
)
// Each of prefix, bounds and limit is present half the time: scans with all of them are mostly
// empty, and empty scans prove little.
const half = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 })
const scanArb: fc.Arbitrary<IterateOptions> = fc
  .record({
    prefix: half(boundArb),
    lower: half(fc.tuple(fc.constantFrom('gt' as const, 'gte' as const), boundArb)),
    upper: half(fc.tuple(fc.constantFrom('lt' as const, 'lte' as const), boundArb)),
    reverse: fc.boolean(),
    limit: half(fc.nat(6)),
  })
  .map(({ prefix, lower, upper, reverse, limit }) => ({
    reverse,
    ...(prefix === undefined ? {} : { prefix }),
    ...(lower === undefined ? {} : { [lower[0]]: lower[1] }),
    ...(upper === undefined ? {} : { [upper[0]]: upper[1] }),
    ...(limit === undefined ? {} : { limit }),
  }))

type Command =
  | { kind: 'op'; op: BatchOp }
  | { kind: 'batch'; ops: BatchOp[]; sync: boolean }
  | { kind: 'read'; key: Uint8Array }
  | { kind: 'scan'; opts: IterateOptions }

const command: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: opArb.map((op) => ({ kind: 'op' as const, op })), weight: 4 },
  {
    arbitrary: fc
      .record({ ops: fc.array(opArb, { maxLength: 6 }), sync: fc.boolean() })
      .map(({ ops, sync }) => ({ kind: 'batch' as const, ops, sync })),
    weight: 2,
  },
  { arbitrary: keyArb.map((key) => ({ kind: 'read' as const, key })), weight: 2 },
  { arbitrary: scanArb.map((opts) => ({ kind: 'scan' as const, opts })), weight: 3 },
)

async function checkAgainstModel(store: Store, commands: Command[]): Promise<void> {
  const model = new Map<string, StoreEntry>()
  const apply = (op: BatchOp) => {
    if (op.type === 'put') model.set(hex(op.key), [op.key, op.value])
    else model.delete(hex(op.key))
  }
  for (const c of commands) {
    if (c.kind === 'op') {
      if (c.op.type === 'put') await store.put(c.op.key, c.op.value)
      else await store.delete(c.op.key)
      apply(c.op)
    } else if (c.kind === 'batch') {
      await store.write(c.ops, { sync: c.sync })
      c.ops.forEach(apply)
    } else if (c.kind === 'read') {
      const expected = model.get(hex(c.key))?.[1]
      expect(await store.get(c.key)).toEqual(expected)
      expect(await store.has(c.key)).toBe(expected !== undefined)
    } else {
      expect(await scan(store, c.opts)).toEqual(show(modelScan(model.values(), c.opts)))
    }
  }
  expect(await scan(store)).toEqual(show(modelScan(model.values(), {})))
  for (const [key, value] of model.values()) {
    expect(await store.get(key)).toEqual(value)
    // Every prefix of a present key selects something, so prefix math cannot hide behind
    // empty results.
    for (let n = 1; n < key.length; n++) {
      const opts = { prefix: key.subarray(0, n), reverse: key[n] === 0xff }
      expect(await scan(store, opts)).toEqual(show(modelScan(model.values(), opts)))
    }
  }
}
