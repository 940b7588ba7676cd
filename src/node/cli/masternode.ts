// `timecoin masternode`: runs a node until SIGINT or SIGTERM (or RPC `stop`). A voting masternode
// when a masternode key is configured, else a full node; every time.conf setting is also a flag.
// Shutdown is bounded: a node that has not stopped within STOP_DEADLINE_MS exits anyway (its
// store is crash-safe), and a second signal exits at once. Logs are JSON lines (plain text on a
// terminal) on stdout and in <datadir>/<network>/logs/timecoin.log; a node catching up shows a
// progress bar on a terminal.
import { Command, Option } from 'commander'
import { addSettingOptions, settingFlags } from '../config/setting-options.ts'
import { LOG_LEVELS } from '../config/setting-specs.ts'
import { resolveSettings } from '../config/settings.ts'
import { startDaemon } from '../daemon/daemon.ts'
import { componentLog, nodeLog } from '../daemon/log.ts'
import { type SyncProgressDisplay, syncProgress } from '../daemon/sync-progress.ts'

/** How long an orderly stop may take before the process exits regardless. */
export const STOP_DEADLINE_MS = 10_000

export function masternodeCommand(): Command {
  const command = new Command('masternode')
    .description(
      'run a node: a voting masternode when a masternode key is configured (masternodeprivkey, masternodekeyfile or <datadir>/<network>/keys/masternode.key), else a full node',
    )
    .addHelpText(
      'after',
      '\nSettings come from these flags, then $NETWORK_TYPE / $P2P_PORT / $MASTERNODE_WALLET, then\n' +
        '<datadir>/time.conf (the same names), then defaults. docs/OPERATIONS.md explains each.\n' +
        'Stop with Ctrl-C, SIGTERM or `timecoin rpc stop`.',
    )
  addSettingOptions(command)
  command.addOption(new Option('--log-level <level>', 'the same as --loglevel').choices(LOG_LEVELS))
  command.addOption(
    new Option(
      '--exit-with-stdin',
      'stop when standard input closes (a parent went away)',
    ).hideHelp(),
  )
  return command.action(async (opts: Record<string, unknown>) => {
    const flags = settingFlags(opts)
    if (typeof opts.logLevel === 'string') flags.loglevel ??= opts.logLevel
    const settings = resolveSettings({ flags })
    const logs = nodeLog({ level: settings.logLevel })
    const { log } = logs
    let progress: SyncProgressDisplay | undefined
    const daemon = await startDaemon({
      settings,
      log,
      openLogFile: (path) => logs.openFile(path),
      // From the moment sync exists: a node far behind starts catching up during start-up.
      watchSync: (source) => {
        progress = syncProgress({ source, log: componentLog(log, 'sync'), nodeLog: logs })
      },
    }).catch((e: NodeJS.ErrnoException) => {
      progress?.stop()
      if (e.code === 'EADDRINUSE') {
        process.stderr.write(
          `error: ${e.message}: a port this node needs is taken (another node? see --port, --wsport, --rpcport)\n`,
        )
        process.exit(1)
      }
      throw e
    })
    let requested = false
    /** Begins the orderly stop; false if it had begun already. */
    const requestStop = (why: string): boolean => {
      if (requested) return false
      requested = true
      setTimeout(() => {
        log.error(`not stopped after ${STOP_DEADLINE_MS} ms: exiting`)
        process.exit(1)
      }, STOP_DEADLINE_MS).unref()
      void daemon.stop({ why, failed: false })
      return true
    }
    const onSignal = (signal: NodeJS.Signals) => {
      if (requestStop(signal)) return
      log.warn(`${signal} again: exiting now`)
      process.exit(130)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    if (opts.exitWithStdin === true) {
      process.stdin.on('end', () => requestStop('standard input closed'))
      process.stdin.on('close', () => requestStop('standard input closed'))
      process.stdin.resume()
    }
    const reason = await daemon.stopped
    progress?.stop()
    logs.close()
    process.exit(reason.failed ? 1 : 0)
  })
}
