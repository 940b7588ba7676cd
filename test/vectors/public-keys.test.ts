// The weak-key vectors (test/vectors/small-order-keys.json), quoted in docs/PROTOCOL.md §3.1: the
// file, the document's table and the code agree, and the forgery the rule stops is real.
import { describe, expect, it } from 'vitest'
import protocolDoc from '../../docs/PROTOCOL.md?raw'
import {
  ed25519,
  fromHex,
  isStrongPublicKey,
  keyWeakness,
  nobleVerify,
  SMALL_ORDER_KEYS,
  utf8ToBytes,
  weakKeyError,
} from '../../src/core/index.ts'
import vectors from './small-order-keys.json' with { type: 'json' }

const refused = [...vectors.smallOrder, ...vectors.nonCanonical]

/** The rows of §3.1's vector table: key, point, code. */
function docRows(): { key: string; point: string; code: string }[] {
  const section = protocolDoc.slice(
    protocolDoc.indexOf('### 3.1 Strong public keys'),
    protocolDoc.indexOf('## 4. Amounts'),
  )
  const row = /^\| `([0-9a-f]{64})` \| (.+?) \| `(PUBLIC_KEY_[A-Z_]+)` \|$/gm
  return [...section.matchAll(row)].map(([, key, point, code]) => ({
    key: key!,
    point: point!.replaceAll('`', ''),
    code: code!,
  }))
}

describe('weak-key vectors', () => {
  it('the document quotes every vector, in order, and nothing else', () => {
    expect(docRows()).toEqual(refused)
  })

  it('the small-order vectors are exactly the code’s list', () => {
    expect(vectors.smallOrder.map((v) => v.key)).toEqual([...SMALL_ORDER_KEYS])
    expect(vectors.smallOrder.every((v) => v.code === 'PUBLIC_KEY_SMALL_ORDER')).toBe(true)
    expect(vectors.nonCanonical.every((v) => v.code === 'PUBLIC_KEY_NOT_CANONICAL')).toBe(true)
  })

  it('the code refuses each with its code, and accepts the strong keys', () => {
    for (const v of refused) {
      expect(keyWeakness(fromHex(v.key)), v.key).toBe(v.code)
      expect(isStrongPublicKey(fromHex(v.key))).toBe(false)
      expect(weakKeyError(fromHex(v.key))?.code).toBe(v.code)
    }
    for (const key of vectors.strong) expect(isStrongPublicKey(fromHex(key))).toBe(true)
  })

  it('the forgery verifies under ZIP215 for each small-order key, and for no strong key', async () => {
    const signature = fromHex(vectors.forgery.signature, 64)
    const message = utf8ToBytes(vectors.forgery.message)
    for (const v of vectors.smallOrder) {
      expect(nobleVerify(signature, message, fromHex(v.key))).toBe(true)
      expect(await ed25519.verify(signature, message, fromHex(v.key))).toBe(true)
    }
    // ZIP215 decodes six of the non-canonical encodings to small-order points: those too.
    const forgeable = vectors.nonCanonical.filter((v) =>
      nobleVerify(signature, message, fromHex(v.key)),
    )
    expect(forgeable.map((v) => v.key)).toEqual(vectors.nonCanonical.slice(0, 6).map((v) => v.key))
    for (const key of vectors.strong) {
      expect(nobleVerify(signature, message, fromHex(key))).toBe(false)
    }
  })
})
