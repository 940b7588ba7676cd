/**
 * The Node shell's typed errors: settings, the data directory, genesis files and JSON-RPC. Like
 * the core's (src/core/errors.ts) each carries a code listed once, with its JSON-RPC code, in
 * src/core/error-codes.ts and docs/ERRORS.md; none carries a peer action (no peer causes them).
 */
import type { CodesOf } from '../core/error-codes.ts'
import { TimeCoinError } from '../core/errors.ts'

/** Where a setting came from, so an error can point at it (`time.conf:12`, `--rpcport`). */
export type SettingSource =
  | { readonly kind: 'file'; readonly path: string; readonly line: number }
  | { readonly kind: 'flag' }
  | { readonly kind: 'env'; readonly name: string }

/** `path:line`, `--key` or `$NAME`: how an error message names a setting's origin. */
export function describeSource(source: SettingSource, key: string): string {
  switch (source.kind) {
    case 'file':
      return `${source.path}:${source.line}`
    case 'flag':
      return `--${key}`
    case 'env':
      return `$${source.name}`
  }
}

/** A setting that is unknown or malformed; `source` says where it was written. */
export class ConfigError extends TimeCoinError<CodesOf<'config'>> {
  readonly domain = 'config'
  readonly source: SettingSource | undefined

  constructor(code: CodesOf<'config'>, message: string, source?: SettingSource, cause?: unknown) {
    super(code, message, undefined, cause === undefined ? undefined : { cause })
    this.source = source
  }
}

/** The data directory is locked by another instance or unusable; a key file is bad. */
export class DatadirError extends TimeCoinError<CodesOf<'datadir'>> {
  readonly domain = 'datadir'
}

/** A genesis file that is malformed, breaks a rule, or is not the one expected. */
export class GenesisError extends TimeCoinError<CodesOf<'genesis'>> {
  readonly domain = 'genesis'
}

/** A JSON-RPC failure: the request, its params, or the client's connection to the server. */
export class RpcError extends TimeCoinError<CodesOf<'rpc'>> {
  readonly domain = 'rpc'
}
