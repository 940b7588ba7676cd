/**
 * RPC credentials, as bitcoind has them: HTTP Basic auth with `rpcuser`/`rpcpassword`, or — when
 * none are configured — a cookie file in the data directory holding `__cookie__:<64 hex>` (mode
 * 0600, written atomically before the server listens, removed when it stops), which local
 * clients read. Invariants: the password is compared in constant time (digests of equal length);
 * a fresh cookie is drawn at every start; a cookie file is removed only if it is still ours.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile, rm } from 'node:fs/promises'
import { writeFileAtomic } from '../datadir/atomic-file.ts'

export const COOKIE_USER = '__cookie__'

export interface Credentials {
  readonly user: string
  readonly password: string
}

/** The `Authorization` header value for `c`. */
export function basicAuthorization(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.user}:${c.password}`, 'utf8').toString('base64')}`
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}

/** Whether an `Authorization` header carries exactly `c` (constant time in the secret). */
export function authorized(header: string | undefined, c: Credentials): boolean {
  if (header === undefined || !header.startsWith('Basic ')) return false
  const given = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8')
  return timingSafeEqual(digest(given), digest(`${c.user}:${c.password}`))
}

/** `__cookie__:<hex>` as the file holds it. */
export function cookieText(c: Credentials): string {
  return `${c.user}:${c.password}`
}

/** Draws a new cookie and writes it to `path` (0600, atomically). */
export async function writeCookie(path: string): Promise<Credentials> {
  const credentials = { user: COOKIE_USER, password: randomBytes(32).toString('hex') }
  await writeFileAtomic(path, cookieText(credentials), { mode: 0o600 })
  return credentials
}

/** Removes the cookie file at `path` if it still holds `c` (a newer node may have replaced it). */
export async function removeCookie(path: string, c: Credentials): Promise<void> {
  const text = await readFile(path, 'utf8').catch(() => undefined)
  if (text?.trim() === cookieText(c)) await rm(path, { force: true })
}

/** The credentials in a cookie file (`user:password`, the first colon splits). */
export async function readCookie(path: string): Promise<Credentials> {
  const text = (await readFile(path, 'utf8')).trim()
  const colon = text.indexOf(':')
  if (colon <= 0) throw new Error(`${path} is not a cookie file (expected user:password)`)
  return { user: text.slice(0, colon), password: text.slice(colon + 1) }
}
