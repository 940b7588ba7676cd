/**
 * JSON-RPC 2.0 over one request body, as bitcoind answers it: a request object or a batch (an
 * array, answered in order, at most `maxBatch`), `id` a string, number or null; a 2.0 request
 * without `id` is a notification (run, not answered); a request without `"jsonrpc": "2.0"` is
 * answered in the 1.0 form bitcoin-cli knows (`result` and `error` both present). Errors carry
 * bitcoind's codes: -32700 parse, -32600 invalid request, -32601 method not found, -32602 invalid
 * params, `rpcErrorCode(code)` for the project's typed errors (with the code name in `data`),
 * -32603 for anything else. Invariants: no HTTP here (server.ts carries bodies); a body that is
 * not JSON, a request that is not one, an unknown method or bad params reach no handler.
 */

import { bytesToHex } from '../../core/encoding/bytes.ts'
import { rpcErrorCode } from '../../core/error-codes.ts'
import { TimeCoinError } from '../../core/errors.ts'
import { RpcError } from '../errors.ts'
import { readParams } from './params.ts'
import type { RpcCall, RpcRegistry } from './registry.ts'

export const DEFAULT_MAX_BATCH = 1_000

export interface RpcErrorObject {
  readonly code: number
  readonly message: string
  /** The project's error code name (`LEDGER_CONFLICT`, `RPC_INVALID_PARAMS`, …). */
  readonly data?: { readonly code: string }
}

type Id = string | number | null

export interface DispatchOptions {
  readonly maxBatch?: number
  /** Told of errors that are not the project's typed errors (bugs), for the log. */
  readonly onInternalError?: (method: string, error: unknown) => void
}

/** The JSON-RPC error object for `error` (a typed error's RPC code, else -32603). */
export function errorObject(error: unknown): RpcErrorObject {
  if (error instanceof TimeCoinError)
    return { code: rpcErrorCode(error.code), message: error.message, data: { code: error.code } }
  return {
    code: rpcErrorCode('RPC_INTERNAL_ERROR'),
    message: `internal error: ${error instanceof Error ? error.message : String(error)}`,
    data: { code: 'RPC_INTERNAL_ERROR' },
  }
}

/** JSON text of a result: bigints as decimal strings, bytes as hex. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? bytesToHex(v) : v,
  )
}

function isId(v: unknown): v is Id {
  return v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))
}

export class RpcDispatcher {
  readonly registry: RpcRegistry
  readonly #maxBatch: number
  readonly #onInternalError: DispatchOptions['onInternalError']

  constructor(registry: RpcRegistry, options: DispatchOptions = {}) {
    this.registry = registry
    this.#maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH
    this.#onInternalError = options.onInternalError
  }

  /**
   * Answers one body: the response's JSON text, or undefined when nothing is to be answered
   * (only notifications). `parseError` is true when the body was not JSON (HTTP 400).
   */
  async handle(body: string, call: RpcCall): Promise<{ json?: string; parseError?: true }> {
    let request: unknown
    try {
      request = JSON.parse(body)
    } catch {
      const e = new RpcError('RPC_PARSE_ERROR', 'parse error: the request body is not JSON')
      return { json: toJson(this.#error(null, e, true)), parseError: true }
    }
    if (!Array.isArray(request)) {
      const answer = await this.#one(request, call)
      return answer === undefined ? {} : { json: toJson(answer) }
    }
    if (request.length === 0 || request.length > this.#maxBatch) {
      const why =
        request.length === 0 ? 'an empty batch' : `a batch of more than ${this.#maxBatch} requests`
      return {
        json: toJson(
          this.#error(null, new RpcError('RPC_INVALID_REQUEST', `invalid request: ${why}`), true),
        ),
      }
    }
    const answers: unknown[] = []
    for (const r of request) {
      const answer = await this.#one(r, call)
      if (answer !== undefined) answers.push(answer)
    }
    return answers.length === 0 ? {} : { json: toJson(answers) }
  }

  /** One request object's answer; undefined for a notification. */
  async #one(request: unknown, call: RpcCall): Promise<unknown> {
    if (typeof request !== 'object' || request === null || Array.isArray(request))
      return this.#error(
        null,
        new RpcError('RPC_INVALID_REQUEST', 'invalid request: not an object'),
        true,
      )
    const r = request as Record<string, unknown>
    const v2 = r.jsonrpc === '2.0'
    const id: Id = isId(r.id) ? r.id : null
    const invalid = (why: string) =>
      this.#error(id, new RpcError('RPC_INVALID_REQUEST', `invalid request: ${why}`), v2)
    if (r.jsonrpc !== undefined && r.jsonrpc !== '2.0' && r.jsonrpc !== '1.0')
      return invalid('jsonrpc must be "2.0"')
    if (r.id !== undefined && !isId(r.id)) return invalid('id must be a string, a number or null')
    if (typeof r.method !== 'string') return invalid('method must be a string')
    if (r.params !== undefined && (typeof r.params !== 'object' || r.params === null))
      return invalid('params must be an array or an object')
    const notification = v2 && !('id' in r)
    const answer = (result: unknown) =>
      notification ? undefined : v2 ? { jsonrpc: '2.0', result, id } : { result, error: null, id }
    const method = this.registry.get(r.method)
    if (method === undefined)
      return notification
        ? undefined
        : this.#error(id, new RpcError('RPC_METHOD_NOT_FOUND', `method not found: ${r.method}`), v2)
    try {
      const args = readParams(method.name, method.params, r.params)
      return answer((await method.handler(args, call)) ?? null)
    } catch (e) {
      if (!(e instanceof TimeCoinError)) this.#onInternalError?.(method.name, e)
      return notification ? undefined : this.#error(id, e, v2)
    }
  }

  #error(id: Id, e: unknown, v2: boolean): unknown {
    const error = errorObject(e)
    return v2 ? { jsonrpc: '2.0', error, id } : { result: null, error, id }
  }
}
