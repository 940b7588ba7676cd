/**
 * The WebCrypto Ed25519 fast path (Node's webcrypto, Chromium, edge runtimes). It is only ever
 * asked "is this valid?": a native `true` is final because every native implementation we ship
 * against accepts a subset of ZIP215 (checked by the shared vectors); anything else falls back
 * to the noble arbiter. Imported keys are cached, since committees sign with few keys.
 */
import { bytes32Key } from '../encoding/bytes.ts'

const KEY_CACHE_LIMIT = 4096

const FALSE = Promise.resolve(false)

// RFC 8032 §7.1 test 1: a known-good triple the platform must accept before we trust it.
const PROBE_PUBLIC_KEY = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'
const PROBE_SIGNATURE =
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'

function hexBytes(hex: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

/** WebCrypto wants ArrayBuffer-backed views; copy only when handed something else. */
function plain(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer
    ? (bytes as Uint8Array<ArrayBuffer>)
    : new Uint8Array(bytes)
}

export class NativeEd25519 {
  readonly #subtle: SubtleCrypto
  /** Imported keys (null: the platform refused the key), at most KEY_CACHE_LIMIT, oldest out. */
  readonly #keys = new Map<string, CryptoKey | null>()
  /** Imports still in progress. */
  readonly #importing = new Map<string, Promise<CryptoKey | null>>()

  private constructor(subtle: SubtleCrypto) {
    this.#subtle = subtle
  }

  /** Resolves to a working native verifier, or null when the platform has no usable Ed25519. */
  static async detect(): Promise<NativeEd25519 | null> {
    const subtle = globalThis.crypto?.subtle
    if (subtle === undefined) return null
    try {
      const native = new NativeEd25519(subtle)
      const pub = hexBytes(PROBE_PUBLIC_KEY)
      const sig = hexBytes(PROBE_SIGNATURE)
      const good = await native.verify(sig, new Uint8Array(0), pub)
      const bad = await native.verify(sig, new Uint8Array([1]), pub)
      native.#keys.clear()
      native.#importing.clear()
      return good && !bad ? native : null
    } catch {
      return null
    }
  }

  /**
   * True only if the platform says valid. False means "not proven here", never "invalid". A
   * 32-byte key already imported costs no extra promise hop (this runs for every signature).
   */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
    if (publicKey.length !== 32) return FALSE
    const id = bytes32Key(publicKey)
    const key = this.#keys.get(id)
    if (key === null) return FALSE
    if (key !== undefined) return this.#verifyWith(key, signature, message)
    return this.#importKey(publicKey, id).then((k) =>
      k === null ? false : this.#verifyWith(k, signature, message),
    )
  }

  #verifyWith(key: CryptoKey, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
    try {
      return this.#subtle
        .verify('Ed25519', key, plain(signature), plain(message))
        .catch(() => false)
    } catch {
      return FALSE
    }
  }

  #importKey(publicKey: Uint8Array, id: string): Promise<CryptoKey | null> {
    let pending = this.#importing.get(id)
    if (pending === undefined) {
      pending = this.#subtle
        .importKey('raw', plain(publicKey.slice()), { name: 'Ed25519' }, false, ['verify'])
        .catch(() => null)
        .then((key) => {
          this.#importing.delete(id)
          if (this.#keys.size >= KEY_CACHE_LIMIT) {
            const oldest = this.#keys.keys().next().value
            if (oldest !== undefined) this.#keys.delete(oldest)
          }
          this.#keys.set(id, key)
          return key
        })
      this.#importing.set(id, pending)
    }
    return pending
  }
}
