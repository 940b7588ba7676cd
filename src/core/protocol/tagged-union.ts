/**
 * Message unions on the wire: `u8 tag ‖ body`, one tag per message type, the body built from the
 * component codecs. A union codec is a plain `Codec` (strict, typed errors, a size limit derived
 * from its bodies' limits); a frame codec narrows it to the messages one protocol direction carries
 * and checks a frame's length and tag before any body byte is parsed.
 *
 * Invariants: tags are unique within a union (asserted when it is built) and every union's tags
 * are distinct from every other's (docs/PROTOCOL.md §19.3), so a frame sent on the wrong protocol
 * is refused by its tag rather than misread; an unknown tag is `INVALID_VALUE`, a known one that
 * does not belong here is `PROTOCOL_UNEXPECTED_MESSAGE`; both cost the sender.
 */
import * as P from 'micro-packed'
import { type Codec, codec, fail } from '../encoding/codec.ts'
import { u8 } from '../encoding/fields.ts'
import { EncodingError, PeerAction, ProtocolError } from '../errors.ts'

/** One message type's tag, body coder and largest body encoding. */
export interface Variant<B> {
  readonly tag: number
  readonly body: P.CoderType<B>
  readonly maxSize: number
}

/**
 * A variant whose body is the struct of `fields`, each a component codec's coder. Its body type
 * is the message's (the union's `Variants` fixes it): branded ids and readonly lists are the same
 * bytes as the plain types the coders produce.
 */
export function variant<F extends Record<string, unknown>, B = P.StructInput<F>>(
  tag: number,
  fields: P.StructRecord<F>,
  maxSize: number,
): Variant<B> {
  return { tag, body: P.struct(fields) as unknown as P.CoderType<B>, maxSize }
}

/** The members of `T` are told apart by the string field `D` (`type` for messages). */
type Tagged<D extends string> = { readonly [k in D]: string }
type Body<T, D extends string, K> = Omit<Extract<T, { readonly [k in D]: K }>, D>

/** A variant for every member of the union `T`, keyed by its discriminant `D`. */
export type Variants<T extends Tagged<D>, D extends string = 'type'> = {
  readonly [K in T[D]]: Variant<Body<T, D, K>>
}

export interface UnionCodec<T extends Tagged<D>, D extends string = 'type'> extends Codec<T> {
  /** The tag of each member. */
  readonly tags: Readonly<Record<T[D], number>>
  /** The largest encoding of each member (tag included). */
  readonly sizes: Readonly<Record<T[D], number>>
  /** The member a tag stands for, or undefined for a tag of none here. */
  typeOf(tag: number): T[D] | undefined
}

function hex(tag: number): string {
  return `0x${tag.toString(16).padStart(2, '0')}`
}

/**
 * Builds the union codec of `variants`, members told apart by their `discriminant` field
 * (`type` unless given); tags must be distinct bytes.
 */
export function taggedUnion<T extends Tagged<D>, D extends string = 'type'>(
  name: string,
  variants: Variants<T, D>,
  discriminant: D = 'type' as D,
): UnionCodec<T, D> {
  type Key = T[D]
  type AnyBody = Body<T, D, Key>
  const entries = Object.entries(variants) as [Key, Variant<AnyBody>][]
  const byKey = new Map<string, Variant<AnyBody>>(entries)
  const byTag = new Map<number, [Key, Variant<AnyBody>]>()
  for (const [key, v] of entries) {
    if (!Number.isInteger(v.tag) || v.tag < 0 || v.tag > 0xff || byTag.has(v.tag))
      throw new EncodingError('INVALID_VALUE', `${name}: tag ${v.tag} of ${key} is not a free byte`)
    byTag.set(v.tag, [key, v])
  }
  const coder = P.wrap<T>({
    encodeStream(w, value) {
      const key = (value as Partial<Record<D, unknown>> | undefined)?.[discriminant]
      const v = typeof key === 'string' ? byKey.get(key) : undefined
      if (v === undefined) fail('INVALID_VALUE', `${name}: unknown ${discriminant} ${String(key)}`)
      u8.encodeStream(w, v.tag)
      v.body.encodeStream(w, value as unknown as AnyBody)
    },
    decodeStream(r) {
      const tag = u8.decodeStream(r)
      const found = byTag.get(tag) ?? fail('INVALID_VALUE', `${name}: unknown tag ${hex(tag)}`)
      return { [discriminant]: found[0], ...found[1].body.decodeStream(r) } as unknown as T
    },
  })
  const tags = Object.fromEntries(entries.map(([k, v]) => [k, v.tag])) as Record<Key, number>
  const sizes = Object.fromEntries(entries.map(([k, v]) => [k, 1 + v.maxSize])) as Record<
    Key,
    number
  >
  const base = codec(name, coder, Math.max(...Object.values<number>(sizes)))
  return { ...base, tags, sizes, typeOf: (tag) => byTag.get(tag)?.[0] }
}

/** The messages of one protocol direction, with the frame limit that follows from them. */
export interface FrameCodec<T> {
  readonly name: string
  /** The largest frame of these messages: the `maxDataLength` to read them with. */
  readonly maxDataLength: number
  encode(message: T): Uint8Array
  /** Length, then tag, then body: a frame is refused as early as its bytes allow. */
  decode(frame: Uint8Array): T
  /** Refuses a frame length above `maxDataLength`, before the frame is buffered. */
  checkLength(length: number): void
}

/** Narrows `union` to the message types `allowed` (one protocol, one direction). */
export function frameCodec<T extends { readonly type: string }, K extends T['type']>(
  name: string,
  union: UnionCodec<T>,
  allowed: readonly K[],
): FrameCodec<Extract<T, { readonly type: K }>> {
  const permitted = new Set<string>(allowed)
  const maxDataLength = Math.max(...allowed.map((t) => union.sizes[t]))
  const checkLength = (length: number): void => {
    if (length > maxDataLength)
      throw new ProtocolError(
        'PROTOCOL_FRAME_TOO_LARGE',
        `${name}: a frame of ${length} bytes, limit ${maxDataLength}`,
        PeerAction.LowToleranceError,
      )
  }
  const unexpected = (type: string): never => {
    throw new ProtocolError(
      'PROTOCOL_UNEXPECTED_MESSAGE',
      `${name} does not carry ${type}`,
      PeerAction.LowToleranceError,
    )
  }
  return {
    name,
    maxDataLength,
    checkLength,
    encode(message) {
      if (!permitted.has(message?.type)) unexpected(String(message?.type))
      const bytes = union.encode(message)
      if (bytes.length > maxDataLength)
        throw new EncodingError(
          'LIMIT_EXCEEDED',
          `${name}: ${message.type} is ${bytes.length} bytes, limit ${maxDataLength}`,
        )
      return bytes
    },
    decode(frame) {
      if (!(frame instanceof Uint8Array))
        throw new EncodingError(
          'INVALID_VALUE',
          `${name}: expected Uint8Array`,
          PeerAction.LowToleranceError,
        )
      checkLength(frame.length)
      const type = frame.length === 0 ? undefined : union.typeOf(frame[0]!)
      if (type !== undefined && !permitted.has(type)) unexpected(type)
      return union.decode(frame) as Extract<T, { readonly type: K }>
    },
  }
}
