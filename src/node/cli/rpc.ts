// `timecoin rpc <method> [params…]`: a client like bitcoin-cli. It finds the server and its
// credentials as the node does (flags > environment > time.conf: network, rpcport, rpcuser and
// rpcpassword; else the node's cookie file in the data directory), sends one call, prints the
// result (text as is, anything else as JSON) and exits 1 with the server's error code and message.
import { isIP } from 'node:net'
import { Command, InvalidArgumentError } from 'commander'
import { resolveSettings } from '../config/settings.ts'
import { datadirLayout } from '../datadir/layout.ts'
import { RpcError } from '../errors.ts'
import { type Credentials, readCookie } from '../rpc/auth.ts'
import { RemoteRpcError, rpcCall } from '../rpc/client.ts'

interface RpcOptions {
  datadir?: string
  conf?: string
  network?: string
  testnet?: boolean
  rpcconnect: string
  rpcport?: string
  rpcuser?: string
  rpcpassword?: string
  rpccookiefile?: string
  rpcclienttimeout: number
  named?: boolean
}

/** A command-line parameter as JSON when it parses (numbers, true, objects), else as text. */
export function cliParam(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

function seconds(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected whole seconds')
  return Number(value)
}

export function rpcCommand(): Command {
  return new Command('rpc')
    .description('call a running node’s JSON-RPC method and print the result (like bitcoin-cli)')
    .argument('<method>', 'the method (`timecoin rpc help` lists them)')
    .argument('[params...]', 'its parameters, each JSON if it parses (5, true, ["a"]) else text')
    .option('--datadir <dir>', 'the node’s data directory (default ~/.timecoin)')
    .option('--conf <file>', 'settings file (default <datadir>/time.conf)')
    .option('-n, --network <name>', 'mainnet, testnet or devnet ($NETWORK_TYPE)')
    .option('--testnet', 'the same as --network testnet')
    .option('--rpcconnect <host>', 'the node’s RPC address', '127.0.0.1')
    .option('--rpcport <port>', 'the node’s RPC port (default by network)')
    .option('--rpcuser <user>', 'RPC user (default: the cookie file)')
    .option('--rpcpassword <password>', 'RPC password')
    .option('--rpccookiefile <file>', 'cookie file (default <datadir>/<network>/.cookie)')
    .option('--rpcclienttimeout <seconds>', 'give up after this long', seconds, 120)
    .option('--named', 'parameters are name=value pairs')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  timecoin rpc help                                   every method, by category',
        '  timecoin rpc --network testnet getnewaddress        an address of the node wallet',
        '  timecoin rpc --network testnet sendtoaddress TIME0… 1.5',
        '  timecoin rpc --network testnet registermasternode bronze',
        '  timecoin rpc --named waittransactionfinality txid=9a1b… timeout=10000',
        '',
      ].join('\n'),
    )
    .action(async (method: string, params: string[], opts: RpcOptions, command: Command) => {
      const settings = resolveSettings({
        flags: {
          datadir: opts.datadir,
          conf: opts.conf,
          network: opts.network,
          testnet: opts.testnet,
          rpcport: opts.rpcport,
          rpcuser: opts.rpcuser,
          rpcpassword: opts.rpcpassword,
        },
      })
      const { user, password, port } = settings.rpc
      let credentials: Credentials
      if (user !== undefined && password !== undefined) credentials = { user, password }
      else {
        const cookie =
          opts.rpccookiefile ?? datadirLayout(settings.datadir, settings.network).cookie
        try {
          credentials = await readCookie(cookie)
        } catch (e) {
          throw new RpcError(
            'RPC_CONNECT_FAILED',
            `no rpcpassword given and no cookie readable at ${cookie} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): is the node running on this data directory and network?`,
            undefined,
            { cause: e },
          )
        }
      }
      const host = isIP(opts.rpcconnect) === 6 ? `[${opts.rpcconnect}]` : opts.rpcconnect
      let args: unknown[] | Record<string, unknown> = params.map(cliParam)
      if (opts.named === true) {
        const named: Record<string, unknown> = {}
        for (const p of params) {
          const eq = p.indexOf('=')
          if (eq <= 0) command.error(`error: --named parameters are name=value, got ${p}`)
          named[p.slice(0, eq)] = cliParam(p.slice(eq + 1))
        }
        args = named
      }
      try {
        const result = await rpcCall(
          { url: `http://${host}:${port}/`, credentials, timeoutMs: opts.rpcclienttimeout * 1000 },
          method,
          args,
        )
        if (result === null) return
        process.stdout.write(
          typeof result === 'string' ? `${result}\n` : `${JSON.stringify(result, null, 2)}\n`,
        )
      } catch (e) {
        if (!(e instanceof RemoteRpcError)) throw e
        process.stderr.write(`error code: ${e.code}\nerror message:\n${e.message}\n`)
        process.exitCode = 1
      }
    })
}
