/**
 * SHA-256 and the domain-separated hash every identifier in the protocol uses.
 * A domain tag is a registered constant (see domain.ts), so two kinds of object never
 * share a hash or a signed message even when their encodings collide.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { utf8ToBytes } from '../encoding/bytes.ts'
import type { DomainTag } from './domain.ts'

export const HASH_LENGTH = 32

export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data)
}

/** SHA-256(SHA-256(x)): used only by the address checksum, as in Base58Check. */
export function sha256d(data: Uint8Array): Uint8Array {
  return nobleSha256(nobleSha256(data))
}

/** Each tag's bytes, encoded once (txids and signing messages are built per transaction). */
const tagBytes = new Map<string, Uint8Array>()

function bytesOfTag(tag: DomainTag): Uint8Array {
  let bytes = tagBytes.get(tag)
  if (bytes === undefined) {
    bytes = utf8ToBytes(tag)
    tagBytes.set(tag, bytes)
  }
  return bytes
}

/** SHA-256(ascii(tag) ‖ part₀ ‖ part₁ ‖ …). */
export function taggedHash(tag: DomainTag, ...parts: Uint8Array[]): Uint8Array {
  const h = nobleSha256.create()
  h.update(bytesOfTag(tag))
  for (const p of parts) h.update(p)
  return h.digest()
}

/** The exact bytes a signature covers: ascii(tag) ‖ parts. */
export function domainMessage(tag: DomainTag, ...parts: Uint8Array[]): Uint8Array {
  const head = bytesOfTag(tag)
  let length = head.length
  for (const p of parts) length += p.length
  const out = new Uint8Array(length)
  out.set(head, 0)
  let at = head.length
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
