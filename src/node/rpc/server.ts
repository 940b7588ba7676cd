/**
 * The JSON-RPC server over HTTP (node:http), bitcoind-style: POST / with a JSON body, Basic auth
 * (rpcuser/rpcpassword, or the cookie file written before it listens and removed when it
 * closes), bound to 127.0.0.1 unless `rpcbind` says otherwise, clients from loopback or an
 * `rpcallowip` subnet only. Order of checks on each request, cheapest first, so an unwelcome
 * request costs nothing: client address (403) → method and path (405, 404) → credentials (401,
 * after a short delay that slows guessing) → body size, checked against Content-Length and again
 * while reading (413, the rest is never read) → the dispatcher (dispatch.ts).
 * Invariants: every connection, body and wait is bounded (`maxConnections`, `maxBodyBytes`,
 * header and request timeouts; calls are aborted when the client leaves or the server closes);
 * nothing reaches a handler before all the checks above passed.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { BlockList, isIP } from 'node:net'
import type { HostPort } from '../config/setting-specs.ts'
import { RpcError } from '../errors.ts'
import { authorized, type Credentials, removeCookie, writeCookie } from './auth.ts'
import { errorObject, type RpcDispatcher, toJson } from './dispatch.ts'

/** bitcoind reads bodies up to 32 MB; a transaction is at most 100 kB (200 kB of hex). */
export const DEFAULT_RPC_MAX_BODY_BYTES = 4 * 1024 * 1024
export const DEFAULT_RPC_MAX_CONNECTIONS = 64
/** A wrong password waits this long before its 401 (bitcoind waits 250 ms too). */
export const DEFAULT_AUTH_FAILURE_DELAY_MS = 250
/** Headers must arrive within this; a whole request (a bounded wait included) within the next. */
export const HEADERS_TIMEOUT_MS = 10_000
export const REQUEST_TIMEOUT_MS = 120_000

export interface RpcServerOptions {
  readonly dispatcher: RpcDispatcher
  /** `rpcport` (0 picks a free port: tests). */
  readonly port: number
  /** `rpcbind`: where to listen (default 127.0.0.1); a bind's own port overrides `port`. */
  readonly bind?: readonly HostPort[]
  /** `rpcallowip`: client subnets allowed besides loopback. */
  readonly allowIp?: readonly string[]
  /** `rpcuser` / `rpcpassword`; without them `cookieFile` is written. */
  readonly credentials?: Credentials
  readonly cookieFile?: string
  readonly maxBodyBytes?: number
  readonly maxConnections?: number
  readonly authFailureDelayMs?: number
}

export interface BoundAddress {
  readonly address: string
  readonly family: string
  readonly port: number
}

export interface RpcServer {
  /** Where the server listens, as the sockets report it. */
  readonly addresses: readonly BoundAddress[]
  /** The first address as a URL (`http://127.0.0.1:24001/`). */
  readonly url: string
  readonly credentials: Credentials
  /** The cookie file written, if the server uses one. */
  readonly cookieFile: string | undefined
  /** Stops listening, ends open connections and calls, removes the cookie. Idempotent. */
  close(): Promise<void>
}

/** `a.b.c.d/255.255.0.0` → prefix 16; a prefix stays; no mask is a single address. */
function subnet(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [address = '', mask] = text.split('/')
  const family = isIP(address) === 4 ? 'ipv4' : 'ipv6'
  const full = family === 'ipv4' ? 32 : 128
  if (mask === undefined) return { address, prefix: full, family }
  if (/^\d+$/.test(mask)) return { address, prefix: Number(mask), family }
  const bits = mask
    .split('.')
    .map((o) => Number(o).toString(2).padStart(8, '0'))
    .join('')
  return { address, prefix: bits.indexOf('0') === -1 ? 32 : bits.indexOf('0'), family }
}

/** Whether a client address may talk to the server: loopback, or inside an allowed subnet. */
export function clientAllowed(remote: string | undefined, allowed: BlockList): boolean {
  if (remote === undefined) return false
  const v4 = remote.startsWith('::ffff:') && isIP(remote.slice(7)) === 4 ? remote.slice(7) : remote
  if (v4 === '::1' || /^127\./.test(v4)) return true
  return allowed.check(v4, isIP(v4) === 4 ? 'ipv4' : 'ipv6')
}

function allowList(allowIp: readonly string[]): BlockList {
  const list = new BlockList()
  for (const text of allowIp) {
    const s = subnet(text)
    list.addSubnet(s.address, s.prefix, s.family)
  }
  return list
}

class BodyTooLarge extends Error {}

/** The body as text; rejects with BodyTooLarge as soon as it passes `max` bytes. */
function readBody(req: IncomingMessage, max: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > max) return Promise.reject(new BodyTooLarge())
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > max) {
        req.off('data', onData)
        req.pause()
        reject(new BodyTooLarge())
        return
      }
      chunks.push(chunk)
    }
    req.on('data', onData)
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

function hostUrl(a: BoundAddress): string {
  return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/`
}

export async function startRpcServer(options: RpcServerOptions): Promise<RpcServer> {
  const maxBody = options.maxBodyBytes ?? DEFAULT_RPC_MAX_BODY_BYTES
  const authDelay = options.authFailureDelayMs ?? DEFAULT_AUTH_FAILURE_DELAY_MS
  const allowed = allowList(options.allowIp ?? [])
  const binds = options.bind ?? [{ host: '127.0.0.1', port: undefined }]
  if (options.credentials === undefined && options.cookieFile === undefined)
    throw new Error('RPC server: give credentials (rpcuser/rpcpassword) or a cookie file')
  const credentials = options.credentials ?? (await writeCookie(options.cookieFile!))
  const cookieFile = options.credentials === undefined ? options.cookieFile : undefined
  const closing = new AbortController()

  const plain = (res: ServerResponse, status: number, headers: Record<string, string> = {}) => {
    res.writeHead(status, { Connection: 'close', 'Content-Length': '0', ...headers })
    res.end()
  }
  const json = (res: ServerResponse, status: number, body: string, close = false) => {
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(body)),
      ...(close ? { Connection: 'close' } : {}),
    })
    res.end(body)
  }

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const call = new AbortController()
    const after: (() => void)[] = []
    res.on('close', () => call.abort())
    res.on('finish', () => {
      for (const f of after) f()
    })
    if (!clientAllowed(req.socket.remoteAddress, allowed)) return plain(res, 403)
    if (req.method !== 'POST') return plain(res, 405, { Allow: 'POST' })
    if (req.url !== '/') return plain(res, 404)
    if (!authorized(req.headers.authorization, credentials)) {
      await delay(authDelay, closing.signal)
      return plain(res, 401, { 'WWW-Authenticate': 'Basic realm="jsonrpc"' })
    }
    let body: string
    try {
      body = await readBody(req, maxBody)
    } catch (e) {
      if (!(e instanceof BodyTooLarge)) return plain(res, 400)
      const error = new RpcError('RPC_BODY_TOO_LARGE', `request body larger than ${maxBody} bytes`)
      return json(res, 413, toJson({ jsonrpc: '2.0', error: errorObject(error), id: null }), true)
    }
    const signal = AbortSignal.any([call.signal, closing.signal])
    const answer = await options.dispatcher.handle(body, {
      signal,
      afterResponse: (f) => after.push(f),
    })
    if (res.destroyed) return
    if (answer.json === undefined) return plain(res, 204)
    json(res, answer.parseError === true ? 400 : 200, answer.json)
  }

  const servers: Server[] = []
  const addresses: BoundAddress[] = []
  try {
    for (const bind of binds) {
      const server = createServer((req, res) => {
        onRequest(req, res).catch(() => {
          if (!res.headersSent) plain(res, 500)
          else res.destroy()
        })
      })
      server.headersTimeout = HEADERS_TIMEOUT_MS
      server.requestTimeout = REQUEST_TIMEOUT_MS
      server.maxConnections = options.maxConnections ?? DEFAULT_RPC_MAX_CONNECTIONS
      servers.push(server)
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(bind.port ?? options.port, bind.host, () => {
          server.off('error', reject)
          resolve()
        })
      })
      const a = server.address()
      if (a === null || typeof a === 'string') throw new Error('RPC server: no TCP address')
      addresses.push({ address: a.address, family: a.family, port: a.port })
    }
  } catch (e) {
    await closeAll(servers)
    if (cookieFile !== undefined) await removeCookie(cookieFile, credentials)
    throw e
  }

  let closed: Promise<void> | undefined
  return {
    addresses,
    url: hostUrl(addresses[0]!),
    credentials,
    cookieFile,
    close() {
      closed ??= (async () => {
        closing.abort()
        await closeAll(servers)
        if (cookieFile !== undefined) await removeCookie(cookieFile, credentials)
      })()
      return closed
    },
  }
}

async function closeAll(servers: readonly Server[]): Promise<void> {
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (!s.listening) return resolve()
          s.close(() => resolve())
          s.closeAllConnections()
        }),
    ),
  )
}
