/**
 * The node wallet's file (`<datadir>/<network>/keys/wallet.json`): the BIP39 mnemonic its keys are
 * derived from, the network, and how many addresses were handed out. Created on first use with a
 * fresh 24-word mnemonic; written atomically, mode 0600; an existing file readable by others is
 * refused (as ssh refuses such a key). Invariants: the mnemonic never leaves this file and the
 * wallet's memory — no log line, error message or RPC answer carries it; `nextIndex` only grows
 * (an address once given out stays the wallet's).
 */
import { readFile, stat } from 'node:fs/promises'
import { WalletError } from '../../core/errors.ts'
import type { NetworkName } from '../../core/primitives/network.ts'
import { generateMnemonic, isValidMnemonic, MAX_KEY_INDEX } from '../../core/wallet/keys.ts'
import { writeFileAtomic } from '../datadir/atomic-file.ts'

export const WALLET_FILE_FORMAT = 'timecoin-wallet'
export const WALLET_FILE_VERSION = 1

export interface WalletFile {
  readonly network: NetworkName
  readonly mnemonic: string
  /** The BIP39 account the keys are derived under (m/44'/coin'/account'/0'/i'). */
  readonly account: number
  /** Addresses handed out: keys 0 … nextIndex − 1. */
  readonly nextIndex: number
}

function invalid(path: string, why: string): never {
  throw new WalletError('WALLET_FILE_INVALID', `wallet file ${path}: ${why}`)
}

/** The file's text (the only place the mnemonic is serialized). */
function walletText(w: WalletFile): string {
  const json = {
    format: WALLET_FILE_FORMAT,
    version: WALLET_FILE_VERSION,
    network: w.network,
    account: w.account,
    nextIndex: w.nextIndex,
    mnemonic: w.mnemonic,
  }
  return `${JSON.stringify(json, null, 2)}\n`
}

/** Replaces the file (atomic, 0600, flushed). */
export async function saveWalletFile(path: string, wallet: WalletFile): Promise<void> {
  await writeFileAtomic(path, walletText(wallet), { mode: 0o600 })
}

/** Reads and checks the file. */
export async function loadWalletFile(path: string, network: NetworkName): Promise<WalletFile> {
  const info = await stat(path)
  if (process.platform !== 'win32' && (info.mode & 0o077) !== 0)
    invalid(path, `mode ${(info.mode & 0o777).toString(8)} lets others read it (chmod 600 it)`)
  let json: Record<string, unknown>
  try {
    json = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>
  } catch {
    return invalid(path, 'not JSON')
  }
  if (typeof json !== 'object' || json === null) invalid(path, 'not a JSON object')
  if (json.format !== WALLET_FILE_FORMAT || json.version !== WALLET_FILE_VERSION)
    invalid(path, `not a ${WALLET_FILE_FORMAT} file of version ${WALLET_FILE_VERSION}`)
  if (json.network !== network) invalid(path, `a ${String(json.network)} wallet, not ${network}`)
  const index = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0
  if (!index(json.account) || (json.account as number) > MAX_KEY_INDEX)
    invalid(path, 'account is not an integer in range')
  if (!index(json.nextIndex) || (json.nextIndex as number) > MAX_KEY_INDEX)
    invalid(path, 'nextIndex is not an integer in range')
  // Said without the words themselves.
  if (typeof json.mnemonic !== 'string' || !isValidMnemonic(json.mnemonic))
    invalid(path, 'the mnemonic is not BIP39 English with a valid checksum')
  return {
    network,
    mnemonic: json.mnemonic as string,
    account: json.account as number,
    nextIndex: json.nextIndex as number,
  }
}

/** The wallet at `path`, made (fresh mnemonic, no address yet) when there is none. */
export async function openWalletFile(
  path: string,
  network: NetworkName,
): Promise<{ readonly wallet: WalletFile; readonly created: boolean }> {
  try {
    return { wallet: await loadWalletFile(path, network), created: false }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
  }
  const wallet: WalletFile = { network, mnemonic: generateMnemonic(), account: 0, nextIndex: 0 }
  await writeFileAtomic(path, walletText(wallet), { mode: 0o600, exclusive: true })
  return { wallet, created: true }
}
