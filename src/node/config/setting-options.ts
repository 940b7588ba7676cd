/**
 * The settings as commander options, so every `time.conf` key is also a flag (`--rpcport 9000`,
 * `--addnode a:1 --addnode b:2`, `--listen 0`, a bare `--testnet`) and `--help` lists them all
 * from the one table. Values stay text here; `resolveSettings` parses them like file values.
 */
import { type Command, Option } from 'commander'
import { parseBool, SETTING_SPECS } from './setting-specs.ts'
import type { FlagValue } from './settings.ts'

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

/** Adds one option per setting to `command` (names as in time.conf). */
export function addSettingOptions(command: Command): Command {
  for (const spec of SETTING_SPECS) {
    const boolean = spec.parse === parseBool
    const option = new Option(
      boolean ? `--${spec.key} [0|1]` : `--${spec.key} <value>`,
      `${spec.help} (default ${spec.default}${spec.env === undefined ? '' : `; $${spec.env}`})`,
    )
    if (spec.list === true) option.argParser(collect)
    command.addOption(option)
  }
  return command
}

/** The settings given on the command line, by key, from commander's parsed options. */
export function settingFlags(
  options: Readonly<Record<string, unknown>>,
): Record<string, FlagValue> {
  const flags: Record<string, FlagValue> = {}
  for (const spec of SETTING_SPECS) {
    const value = options[spec.key]
    if (value !== undefined) flags[spec.key] = value as FlagValue
  }
  return flags
}
