// `timecoin devnet`: the local multi-masternode devnet. It needs the masternode daemon, which
// does not exist yet; until it does this command says so and fails instead of pretending.
import { Command } from 'commander'

export function devnetCommand(): Command {
  return new Command('devnet')
    .description('run a local devnet of masternodes on loopback (not available yet)')
    .action(() => {
      process.stderr.write(
        'timecoin devnet is not available yet: it needs the masternode daemon, which has not been built.\n' +
          'What works today: `npm test`, `npm run bench:crypto`, `timecoin keygen`, `timecoin address`.\n',
      )
      process.exitCode = 1
    })
}
