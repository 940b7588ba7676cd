/**
 * Which loopback ports each devnet masternode gets: masternode i the devnet's own (`devnetPorts`:
 * 24200 + 10 × i …) when all four are free, else four the system hands out — and a note saying so,
 * so the banner never shows a port nobody listens on. A port found free here may still be taken
 * before the child binds it; the child then fails to start and the devnet says which.
 */
import { createServer } from 'node:net'
import { devnetPorts, type NetworkPorts } from '../config/ports.ts'

/** Whether `port` can be bound on 127.0.0.1 now. */
export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)))
  })
}

/** A port the system picks on 127.0.0.1 (free when asked). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export interface PortPlan {
  readonly ports: readonly NetworkPorts[]
  /** One line per masternode that could not have the devnet's ports. */
  readonly notes: readonly string[]
}

/** Ports for `count` masternodes; `fixed: false` takes free ports for all (tests). */
export async function planPorts(count: number, fixed = true): Promise<PortPlan> {
  const ports: NetworkPorts[] = []
  const notes: string[] = []
  const taken = new Set<number>()
  const fresh = async (): Promise<number> => {
    for (;;) {
      const p = await freePort()
      if (!taken.has(p)) return p
    }
  }
  for (let i = 0; i < count; i++) {
    const wanted = devnetPorts(i)
    const list = [wanted.p2p, wanted.rpc, wanted.ws, wanted.metrics]
    let ok = fixed
    if (ok) for (const p of list) if (taken.has(p) || !(await portFree(p))) ok = false
    if (ok) {
      for (const p of list) taken.add(p)
      ports.push(wanted)
      continue
    }
    const next = async (): Promise<number> => {
      const p = await fresh()
      taken.add(p)
      return p
    }
    const [p2p, r, w, m] = [await next(), await next(), await next(), await next()]
    ports.push({ p2p, rpc: r, ws: w, metrics: m })
    if (fixed)
      notes.push(
        `masternode ${i}: ports ${list.join('/')} are taken (another devnet?), using ${p2p}/${r}/${w}/${m}`,
      )
  }
  return { ports, notes }
}
