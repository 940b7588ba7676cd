/**
 * Typed JSON-RPC parameters: each method lists its parameters in order (so they can be given by
 * position, as bitcoin-cli does, or by name), each with a type that turns a JSON value into a
 * checked one or refuses it. Invariants: a handler only ever sees values its types accepted;
 * every refusal is RPC_INVALID_PARAMS naming the parameter — before the handler runs, so a
 * malformed call changes nothing.
 */
import { fromHex } from '../../core/encoding/bytes.ts'
import { asTxid, type Txid } from '../../core/primitives/txid.ts'
import { RpcError } from '../errors.ts'

/** Turns a JSON value into a T, or throws an Error saying what was expected. */
export interface ParamType<T> {
  /** How `help` names the type. */
  readonly name: string
  readonly read: (value: unknown) => T
}

export interface Param<N extends string = string, T = unknown> {
  readonly name: N
  readonly type: ParamType<unknown>
  readonly required: boolean
  /** The value of an omitted optional parameter (undefined when it has none). */
  readonly fallback: T | undefined
  readonly help: string
  /** Phantom: the handler's view of the value. */
  readonly __value?: T
}

/** A required parameter. */
export function param<N extends string, T>(name: N, type: ParamType<T>, help: string): Param<N, T> {
  return { name, type, required: true, fallback: undefined, help }
}

/** An optional parameter; without a fallback the handler sees undefined. */
export function optional<N extends string, T>(
  name: N,
  type: ParamType<T>,
  help: string,
): Param<N, T | undefined>
export function optional<N extends string, T>(
  name: N,
  type: ParamType<T>,
  help: string,
  fallback: T,
): Param<N, T>
export function optional<N extends string, T>(
  name: N,
  type: ParamType<T>,
  help: string,
  fallback?: T,
): Param<N, T | undefined> {
  return { name, type, required: false, fallback, help }
}

/** The arguments a handler receives: one property per parameter, typed. */
export type ArgsOf<P extends readonly Param[]> = {
  readonly [E in P[number] as E['name']]: E extends Param<string, infer T> ? T : never
}

function fail(message: string): never {
  throw new Error(message)
}

export const integer = (min: number, max: number): ParamType<number> => ({
  name: `integer ${min}…${max}`,
  read: (v) =>
    Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max
      ? (v as number)
      : fail(`expected an integer in [${min}, ${max}]`),
})

export const boolean: ParamType<boolean> = {
  name: 'boolean',
  read: (v) => (typeof v === 'boolean' ? v : fail('expected true or false')),
}

export const text = (maxLength: number): ParamType<string> => ({
  name: 'string',
  read: (v) =>
    typeof v === 'string' && v.length <= maxLength
      ? v
      : fail(`expected a string of at most ${maxLength} characters`),
})

/** Hex text of at most `maxBytes` bytes (raw transactions). */
export const hexBytes = (maxBytes: number): ParamType<Uint8Array> => ({
  name: 'hex string',
  read: (v) => {
    if (typeof v !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(v))
      fail('expected an even-length hex string')
    if (v.length > maxBytes * 2) fail(`expected at most ${maxBytes} bytes`)
    return fromHex(v.toLowerCase())
  },
})

/** A 32-byte hash as 64 hex digits (block hashes). */
export const hash32: ParamType<Uint8Array> = {
  name: 'hex hash',
  read: (v) =>
    typeof v === 'string' && /^[0-9a-fA-F]{64}$/.test(v)
      ? fromHex(v.toLowerCase(), 32)
      : fail('expected a 32-byte hash as 64 hex digits'),
}

export const txid: ParamType<Txid> = {
  name: 'txid',
  read: (v) => asTxid(hash32.read(v)),
}

/**
 * The values of `params` (an array by position, an object by name, or absent) for `spec`:
 * required ones present, none unknown, each accepted by its type.
 */
export function readParams<P extends readonly Param[]>(
  method: string,
  spec: P,
  params: unknown,
): ArgsOf<P> {
  const out: Record<string, unknown> = {}
  const bad = (message: string): never => {
    throw new RpcError('RPC_INVALID_PARAMS', `${method}: ${message}`)
  }
  let given: (p: Param, i: number) => unknown
  if (params === undefined || params === null) given = () => undefined
  else if (Array.isArray(params)) {
    if (params.length > spec.length)
      bad(
        `takes at most ${spec.length} parameter${spec.length === 1 ? '' : 's'}, got ${params.length}`,
      )
    given = (_, i) => params[i]
  } else if (typeof params === 'object') {
    const names = new Set(spec.map((p) => p.name))
    for (const key of Object.keys(params)) if (!names.has(key)) bad(`unknown parameter "${key}"`)
    given = (p) => (params as Record<string, unknown>)[p.name]
  } else return bad('params must be an array or an object')
  for (const [i, p] of spec.entries()) {
    const value = given(p, i)
    if (value === undefined || value === null) {
      if (p.required) bad(`missing parameter ${p.name}`)
      out[p.name] = p.fallback
      continue
    }
    try {
      out[p.name] = p.type.read(value)
    } catch (e) {
      bad(`parameter ${p.name}: ${(e as Error).message}`)
    }
  }
  return out as ArgsOf<P>
}
