import { EncodingError, type PeerAction, TimeCoinError } from '../../src/core/index.ts'

/** The EncodingError code `f` throws, undefined if it returns, a marker for any other throw. */
export function encodingCodeOf(f: () => unknown): string | undefined {
  try {
    f()
    return undefined
  } catch (e) {
    return e instanceof EncodingError ? e.code : `not an EncodingError: ${e}`
  }
}

function typed(e: unknown): string {
  return e instanceof TimeCoinError ? `${e.name}:${e.code}` : `not a TimeCoinError: ${e}`
}

/**
 * The class and code of the typed error `f` throws, as `ConsensusError:CERT_SIGNATURE`;
 * undefined if it returns, a marker for any other throw (so no assertion passes on any value).
 */
export function typedErrorOf(f: () => unknown): string | undefined {
  try {
    f()
    return undefined
  } catch (e) {
    return typed(e)
  }
}

/** The class and code of the typed error `p` rejects with, as `typedErrorOf`. */
export async function typedRejectionOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => typed(e),
  )
}

/**
 * The class, code and peer action of the typed error `f` throws; undefined if it returns. Any
 * other throw escapes, failing the test.
 */
export function failureOf(
  f: () => unknown,
): { name: string; code: string; peerAction: PeerAction | undefined } | undefined {
  try {
    f()
    return undefined
  } catch (e) {
    if (!(e instanceof TimeCoinError)) throw e
    return { name: e.name, code: e.code, peerAction: e.peerAction }
  }
}
