/**
 * bitcoind's ban methods over the node's `BanList`: `setban` (add or remove a ban of an IP
 * address, a subnet or — here also — a libp2p peer id, for a time or until an absolute one),
 * `listbanned` (the operator's bans and the defence layer's IP blacklist) and `clearbanned`.
 * Invariants: bitcoind's error codes — -30 for a target that is no address, subnet or peer id or
 * a remove of something not banned, -23 for an add of something banned already, -8 for an
 * absolute time in the past; a refused call changes nothing; a call that changes the bans answers
 * once the change is saved (`BanList.settled`).
 */
import { RpcError } from '../errors.ts'
import type { BanEntry, BanList } from './ban-list.ts'
import { parseBanTarget } from './ban-list.ts'
import { boolean, integer, optional, type ParamType, param, text } from './params.ts'
import { type RpcMethod, rpcMethod } from './registry.ts'

/** Seconds at most in `bantime` (a duration, or an absolute unix time): ~31,000 years. */
const MAX_BANTIME = 1_000_000_000_000

export interface BanMethodsOptions {
  /** Seconds a ban lasts when `bantime` is 0 or absent (the `bantime` setting). */
  readonly defaultSeconds: number
  /** Milliseconds since the epoch (default `Date.now`). */
  readonly now?: () => number
}

const command: ParamType<'add' | 'remove'> = {
  name: '"add" or "remove"',
  read: (v) => {
    if (v === 'add' || v === 'remove') return v
    throw new Error('expected "add" or "remove"')
  },
}

function entryJson(e: BanEntry, now: number) {
  const seconds = (ms: number) => Math.floor(ms / 1000)
  return {
    address: e.target.text,
    ban_created: e.created === undefined ? null : seconds(e.created),
    banned_until: seconds(e.until),
    ban_duration: e.created === undefined ? null : seconds(e.until) - seconds(e.created),
    time_remaining: Math.max(0, seconds(e.until - now)),
    source: e.source,
  }
}

export function banMethods(bans: BanList, options: BanMethodsOptions): RpcMethod[] {
  const now = options.now ?? Date.now
  return [
    rpcMethod({
      name: 'setban',
      category: 'Network',
      summary:
        'Bans an IP address, a subnet (1.2.3.0/24, 1.2.3.0/255.255.255.0, 2001:db8::/32) or a peer id, closing its connections and refusing new ones; or lifts a ban.',
      params: [
        param('subnet', text(200), 'an IP address, a subnet, or a libp2p peer id'),
        param('command', command, '"add" a ban or "remove" one'),
        optional(
          'bantime',
          integer(0, MAX_BANTIME),
          'seconds the ban lasts (0: the bantime setting), or with absolute a unix time',
          0,
        ),
        optional('absolute', boolean, 'bantime is an absolute unix time', false),
      ],
      handler: async ({ subnet, command, bantime, absolute }) => {
        const target = parseBanTarget(subnet)
        if (target === undefined)
          throw new RpcError('RPC_INVALID_BAN_TARGET', `Error: Invalid IP/Subnet: ${subnet}`)
        if (command === 'remove') {
          if (!bans.unban(target))
            throw new RpcError(
              'RPC_INVALID_BAN_TARGET',
              `Error: Unban failed. ${target.text} was not banned.`,
            )
          await bans.settled()
          return null
        }
        if (bans.has(target))
          throw new RpcError('RPC_ALREADY_BANNED', `Error: ${target.text} is already banned`)
        const t = now()
        let until: number
        if (absolute) {
          until = bantime * 1000
          if (until <= t)
            throw new RpcError('RPC_BAN_TIME_PAST', 'Error: Absolute timestamp is in the past')
        } else until = t + (bantime === 0 ? options.defaultSeconds : bantime) * 1000
        await bans.ban(target, until)
        await bans.settled()
        return null
      },
    }),
    rpcMethod({
      name: 'listbanned',
      category: 'Network',
      summary:
        'Every ban in force: the operator’s (setban) and the addresses of peers the defence banned.',
      params: [],
      handler: () => {
        const t = now()
        return bans.list().map((e) => entryJson(e, t))
      },
    }),
    rpcMethod({
      name: 'clearbanned',
      category: 'Network',
      summary: 'Lifts every ban, the defence layer’s IP blacklist included.',
      params: [],
      handler: async () => {
        bans.clear()
        await bans.settled()
        return null
      },
    }),
  ]
}
