// `timecoin devnet` (what `npm start` runs): a local devnet of masternode processes, a payment
// demo that prints each payment's finality time and the p50 / p99, then a banner, and the devnet
// runs until Ctrl-C or SIGTERM, which stop every masternode before this process exits. The parts
// live in src/node/devnet; this file reads the flags and runs them in order.
import { performance } from 'node:perf_hooks'
import { Command, InvalidArgumentError } from 'commander'
import { formatAmount } from '../../core/primitives/amount.ts'
import { devnetBanner } from '../devnet/banner.ts'
import { DEFAULT_MASTERNODES, type Devnet, startDevnet } from '../devnet/devnet.ts'
import { type Payment, quantile, runPaymentDemo } from '../devnet/payment-demo.ts'

interface DevnetFlags {
  masternodes: number
  txRate: number
  duration: number
  datadir?: string
  keep?: boolean
  seed?: string
  freePorts?: boolean
}

function count(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value)
    if (!/^\d+$/.test(value) || n < min || n > max)
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`)
    return n
  }
}

function positive(value: string): number {
  const n = Number(value)
  if (!(n >= 0 && Number.isFinite(n))) throw new InvalidArgumentError('expected a number ≥ 0')
  return n
}

const ms = (x: number) => `${x.toFixed(1)} ms`

function paymentLine(p: Payment): string {
  const what = p.n === 0 ? 'faucet split ' : `payment ${String(p.n).padStart(3)} `
  const amount = `${formatAmount(p.amount)} TIME`.padStart(16)
  return `  ${what}${amount} → ${p.to.slice(0, 14)}…  final in ${ms(p.ms).padStart(9)}  (sent to masternode ${p.via}, ${p.txid.slice(0, 12)}…)\n`
}

export function devnetCommand(): Command {
  return new Command('devnet')
    .description(
      'run a local devnet of masternode processes on loopback, show payments becoming final, then keep it up until Ctrl-C',
    )
    .option(
      '--masternodes <n>',
      'masternode processes (a new devnet only)',
      count(3, 20),
      DEFAULT_MASTERNODES,
    )
    .option('--tx-rate <n>', 'demo payments per second', positive, 10)
    .option('--duration <seconds>', 'seconds of demo payments (0: no demo)', positive, 3)
    .option(
      '--datadir <dir>',
      'keep the devnet here (an existing one resumes; default: a temporary folder)',
    )
    .option('--keep', 'keep the temporary data directory at exit')
    .option('--seed <text>', 'derive the genesis and keys from this text (default: random)')
    .option('--free-ports', 'use ports the system picks rather than 24200 + 10 × i')
    .action(async (flags: DevnetFlags) => {
      const out = (t: string) => void process.stdout.write(t)
      let devnet: Devnet | undefined
      let stopping = false
      const starting = new AbortController()
      const shutdown = async (why: string, code: number) => {
        if (stopping) return
        stopping = true
        out(`\n${why}: stopping ${devnet?.nodes.length ?? 'the'} masternodes…\n`)
        // Still starting: the start stops what it began and rejects; the catch below exits.
        if (devnet === undefined) return starting.abort()
        const { killed, removed } = await devnet.stop()
        if (killed.length > 0) out(`killed after the grace period: ${killed.join(', ')}\n`)
        out(
          removed ? 'stopped; data directory removed\n' : `stopped; data kept in ${devnet.root}\n`,
        )
        process.exit(code)
      }
      process.on('SIGINT', () => void shutdown('SIGINT', 0))
      process.on('SIGTERM', () => void shutdown('SIGTERM', 0))
      try {
        out(`TIME Coin devnet: ${flags.masternodes} masternode processes on 127.0.0.1\n`)
        devnet = await startDevnet({
          masternodes: flags.masternodes,
          ...(flags.datadir === undefined ? {} : { datadir: flags.datadir }),
          keep: flags.keep === true,
          ...(flags.seed === undefined ? {} : { seed: flags.seed }),
          fixedPorts: flags.freePorts !== true,
          write: out,
          tty: process.stdout.isTTY === true,
          signal: starting.signal,
        })
        if (stopping) return
        out(
          `ready in ${(devnet.startupMs / 1000).toFixed(1)} s: every committee link is up${devnet.fresh ? '' : ' (resumed an earlier devnet)'}\n`,
        )
        let summary: string | undefined
        const coin = flags.duration > 0 ? await devnet.demoCoin() : undefined
        if (flags.duration > 0 && coin === undefined)
          out('payment demo skipped: the faucet has no unspent coin this devnet knows of\n')
        if (coin !== undefined) {
          const count = Math.max(1, Math.round(flags.txRate * flags.duration))
          out(
            `\npayment demo: ${count} payments at ${flags.txRate}/s from the faucet, each sent to a masternode over JSON-RPC\n`,
          )
          out(
            '(finality time: from sendrawtransaction to waittransactionfinality answering "final")\n',
          )
          const began = performance.now()
          const result = await runPaymentDemo({
            network: 'devnet',
            genesisHash: devnet.genesis.hash,
            nodes: devnet.nodes,
            faucet: devnet.faucet,
            coin,
            rate: flags.txRate,
            durationSeconds: flags.duration,
            onPayment: (p) => out(paymentLine(p)),
          })
          await devnet.saveCoins(result.coins)
          const times = result.payments.map((p) => p.ms)
          const seconds = (performance.now() - began) / 1000
          summary = `${times.length} payments final in ${seconds.toFixed(1)} s · finality p50 ${ms(quantile(times, 0.5))} · p99 ${ms(quantile(times, 0.99))} · max ${ms(Math.max(...times))}`
          out(`\n${summary}\n`)
        }
        out(devnetBanner(devnet, summary))
        // Up until a signal; a masternode that exits meanwhile is reported.
        for (const n of devnet.nodes)
          void n.process.exited.then((exit) => {
            if (!stopping)
              out(
                `warning: masternode ${n.index} exited (${exit.signal ?? `code ${exit.code}`}); see ${n.logFile}\n`,
              )
          })
      } catch (e) {
        if (stopping && devnet === undefined) {
          out('stopped before it was ready; nothing left running\n')
          process.exit(0)
        }
        if (stopping) return
        process.stderr.write(`devnet failed: ${(e as Error).message}\n`)
        // A start that failed has stopped what it began; after it, the devnet is stopped here.
        if (devnet === undefined) process.exit(1)
        await shutdown('failure', 1)
      }
    })
}
