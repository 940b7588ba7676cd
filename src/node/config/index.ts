/**
 * Public face of the node's settings: the table of keys (setting-specs.ts), `time.conf` parsing
 * (conf-file.ts), resolution of flags > environment > time.conf > defaults into one `Settings`
 * (settings.ts), the same keys as commander options, and the default ports by network.
 */
export { type ConfEntry, parseConf } from './conf-file.ts'
export { devnetPorts, NETWORK_PORTS, type NetworkPorts } from './ports.ts'
export { addSettingOptions, settingFlags } from './setting-options.ts'
export {
  type HostPort,
  LOG_LEVELS,
  type LogLevel,
  SETTING_SPECS,
  type SettingSpec,
} from './setting-specs.ts'
export {
  defaultDatadir,
  type FlagValue,
  isLoopbackHost,
  type RpcSettings,
  redactedSettings,
  resolveSettings,
  type Settings,
  type SettingsInput,
} from './settings.ts'
