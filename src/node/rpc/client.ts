/**
 * A JSON-RPC client for a node's RPC server (what `timecoin rpc` and tests use): one POST per
 * call with Basic auth, a timeout, and the answer's `result` or its error. A failure to reach
 * the server, a 401/403 or an answer that is not JSON-RPC is a local typed error
 * (RPC_CONNECT_FAILED, RPC_UNAUTHORIZED); an error the server answered is `RemoteRpcError`,
 * carrying the server's code and message unchanged.
 */
import { RpcError } from '../errors.ts'
import { basicAuthorization, type Credentials } from './auth.ts'

export const DEFAULT_CLIENT_TIMEOUT_MS = 120_000

/** An error answered by the server: bitcoind's numeric code, its message, the project's code name. */
export class RemoteRpcError extends Error {
  readonly code: number
  readonly data: unknown

  constructor(code: number, message: string, data: unknown) {
    super(message)
    this.name = 'RemoteRpcError'
    this.code = code
    this.data = data
  }
}

export interface RpcClientOptions {
  /** `http://host:port/`. */
  readonly url: string
  readonly credentials: Credentials
  readonly timeoutMs?: number
}

/** Calls `method` with `params` (positional or named) and returns its result. */
export async function rpcCall(
  options: RpcClientOptions,
  method: string,
  params: readonly unknown[] | Record<string, unknown> = [],
): Promise<unknown> {
  let response: Response
  try {
    response = await fetch(options.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: basicAuthorization(options.credentials),
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS),
    })
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message
    throw new RpcError(
      'RPC_CONNECT_FAILED',
      `could not connect to the server at ${options.url} (${cause}): is the node running?`,
      undefined,
      { cause: e },
    )
  }
  if (response.status === 401 || response.status === 403)
    throw new RpcError(
      'RPC_UNAUTHORIZED',
      response.status === 401
        ? `the server at ${options.url} refused the credentials (wrong rpcuser/rpcpassword, or an old cookie)`
        : `the server at ${options.url} does not serve this address (rpcallowip)`,
    )
  const text = await response.text()
  let answer: { result?: unknown; error?: { code: number; message: string; data?: unknown } | null }
  try {
    answer = JSON.parse(text)
  } catch {
    throw new RpcError(
      'RPC_CONNECT_FAILED',
      `the server at ${options.url} answered HTTP ${response.status} without JSON-RPC: ${text.slice(0, 200)}`,
    )
  }
  if (answer.error !== undefined && answer.error !== null)
    throw new RemoteRpcError(answer.error.code, answer.error.message, answer.error.data)
  return answer.result ?? null
}
