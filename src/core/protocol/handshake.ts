/**
 * The handshake message (docs/PROTOCOL.md, "Handshake"): the first thing both ends of every
 * connection send — protocol version, network, genesis hash, tip, role — and, from a masternode,
 * its masternode key with a signature binding that key to its libp2p peer id. Pure: bytes in,
 * objects out; the libp2p service that carries it is src/core/net/handshake/.
 *
 * Invariants: the version is the first field and is readable alone (`helloVersion`), so a later
 * version is told apart from a malformed frame; the masternode key and binding signature are
 * present exactly when the role is masternode; the binding signs tag ‖ genesisHash ‖ peer id
 * bytes with the project's Ed25519 (never @libp2p/crypto), under a strong key only.
 */
import * as P from 'micro-packed'
import { DomainTags } from '../crypto/domain.ts'
import type { Signer } from '../crypto/ed25519.ts'
import { weakKeyError } from '../crypto/public-key-rule.ts'
import { domainMessage } from '../crypto/sha256.ts'
import type { SignatureBundle } from '../crypto/signature-bundle.ts'
import { type Codec, codec, fail } from '../encoding/codec.ts'
import { bytes32, bytes64, u8, u16, u32 } from '../encoding/fields.ts'
import { HandshakeError, PeerAction } from '../errors.ts'
import { MAX_PEER_ID_BYTES } from './peer-exchange.ts'

/** The handshake version this software speaks (also the version of its protocol id). */
export const HANDSHAKE_VERSION = 1

/** Longest network name on the wire; names are lowercase ASCII letters, digits and '-'. */
export const MAX_NETWORK_NAME_LENGTH = 16

/** What a peer is: it decides which protocols it serves and whether it may vote. */
export const PeerRole = {
  LightClient: 'light-client',
  FullNode: 'full-node',
  Masternode: 'masternode',
} as const
export type PeerRole = (typeof PeerRole)[keyof typeof PeerRole]

/** Role codes on the wire, in this order. */
const ROLES: readonly PeerRole[] = [PeerRole.LightClient, PeerRole.FullNode, PeerRole.Masternode]

interface HelloBase {
  readonly version: number
  readonly network: string
  readonly genesisHash: Uint8Array
  readonly tipHeight: number
  readonly tipHash: Uint8Array
}

/** One side's handshake message. */
export type Hello = HelloBase &
  (
    | { readonly role: typeof PeerRole.LightClient | typeof PeerRole.FullNode }
    | {
        readonly role: typeof PeerRole.Masternode
        readonly masternodeKey: Uint8Array
        /** Signature by `masternodeKey` over `peerBindingMessage(genesisHash, peerIdBytes)`. */
        readonly bindingSignature: Uint8Array
      }
  )

const NAME_CHAR = /^[a-z0-9-]+$/

const networkName = P.wrap<string>({
  encodeStream(w, name) {
    if (name.length === 0 || name.length > MAX_NETWORK_NAME_LENGTH || !NAME_CHAR.test(name))
      fail('INVALID_VALUE', `network name ${JSON.stringify(name)} is not 1–16 of [a-z0-9-]`)
    u8.encodeStream(w, name.length)
    for (let i = 0; i < name.length; i++) u8.encodeStream(w, name.charCodeAt(i))
  },
  decodeStream(r) {
    const length = u8.decodeStream(r)
    if (length === 0 || length > MAX_NETWORK_NAME_LENGTH)
      fail('LIMIT_EXCEEDED', `network name length ${length} not in [1, ${MAX_NETWORK_NAME_LENGTH}]`)
    const name = String.fromCharCode(...r.bytes(length))
    if (!NAME_CHAR.test(name)) fail('INVALID_VALUE', 'network name is not of [a-z0-9-]')
    return name
  },
})

/** version u16 ‖ network ‖ genesisHash ‖ tipHeight u32 ‖ tipHash ‖ role u8 [‖ key ‖ signature]. */
const helloCoder = P.wrap<Hello>({
  encodeStream(w, hello) {
    u16.encodeStream(w, hello.version)
    networkName.encodeStream(w, hello.network)
    bytes32.encodeStream(w, hello.genesisHash)
    u32.encodeStream(w, hello.tipHeight)
    bytes32.encodeStream(w, hello.tipHash)
    const code = ROLES.indexOf(hello.role)
    if (code === -1) fail('INVALID_VALUE', `unknown role ${String(hello.role)}`)
    u8.encodeStream(w, code)
    if (hello.role === PeerRole.Masternode) {
      bytes32.encodeStream(w, hello.masternodeKey)
      bytes64.encodeStream(w, hello.bindingSignature)
    }
  },
  decodeStream(r): Hello {
    const version = u16.decodeStream(r)
    if (version !== HANDSHAKE_VERSION) fail('INVALID_VALUE', `handshake version ${version}`)
    const base = {
      version,
      network: networkName.decodeStream(r),
      genesisHash: bytes32.decodeStream(r),
      tipHeight: u32.decodeStream(r),
      tipHash: bytes32.decodeStream(r),
    }
    const role = ROLES[u8.decodeStream(r)] ?? fail('INVALID_VALUE', 'unknown role')
    if (role !== PeerRole.Masternode) return { ...base, role }
    return {
      ...base,
      role,
      masternodeKey: bytes32.decodeStream(r),
      bindingSignature: bytes64.decodeStream(r),
    }
  },
})

/** The largest hello: a masternode's, with the longest network name. */
export const MAX_HELLO_SIZE = 2 + 1 + MAX_NETWORK_NAME_LENGTH + 32 + 4 + 32 + 1 + 32 + 64

export const HelloCodec: Codec<Hello> = codec('Hello', helloCoder, MAX_HELLO_SIZE)

/**
 * The version a hello claims (its first two bytes, little-endian), or null when it is too short
 * to say. Read before decoding, so a peer of another version is disconnected as such, not
 * penalized as malformed.
 */
export function helloVersion(bytes: Uint8Array): number | null {
  return bytes.length < 2 ? null : bytes[0]! | (bytes[1]! << 8)
}

/** What a masternode's binding signature covers: tag ‖ genesisHash ‖ peer id (binary multihash). */
export function peerBindingMessage(genesisHash: Uint8Array, peerIdBytes: Uint8Array): Uint8Array {
  if (genesisHash.length !== 32)
    throw new HandshakeError('HANDSHAKE_BINDING', 'genesis hash must be 32 bytes')
  if (peerIdBytes.length === 0 || peerIdBytes.length > MAX_PEER_ID_BYTES)
    throw new HandshakeError('HANDSHAKE_BINDING', `peer id of ${peerIdBytes.length} bytes`)
  return domainMessage(DomainTags.peerBinding, genesisHash, peerIdBytes)
}

/** A masternode's binding of its key to its own peer id (computed once per host start). */
export function signPeerBinding(
  signer: Signer,
  genesisHash: Uint8Array,
  peerIdBytes: Uint8Array,
): Uint8Array {
  return signer.sign(peerBindingMessage(genesisHash, peerIdBytes))
}

function bindingError(message: string, cause?: unknown): HandshakeError {
  return new HandshakeError('HANDSHAKE_BINDING', message, PeerAction.Fatal, { cause })
}

/**
 * The signature check of a masternode hello received from the peer whose id is `peerIdBytes`
 * (the id the connection's Noise handshake proved), or null for another role. A weak
 * (small-order or non-canonical) key is refused here, before any signature is gathered.
 */
export function peerBindingBundle(
  hello: Hello,
  genesisHash: Uint8Array,
  peerIdBytes: Uint8Array,
): SignatureBundle | null {
  if (hello.role !== PeerRole.Masternode) return null
  const weak = weakKeyError(hello.masternodeKey, 'masternode key')
  if (weak !== null) throw bindingError(weak.message, weak)
  return {
    checks: [
      {
        signature: hello.bindingSignature,
        message: peerBindingMessage(genesisHash, peerIdBytes),
        publicKey: hello.masternodeKey,
      },
    ],
    failure: () => bindingError('masternode key does not sign this peer id on this genesis'),
  }
}
