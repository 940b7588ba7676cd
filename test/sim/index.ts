// The deterministic simulation substrate: seeded randomness, virtual time, a faulty network and
// Azure-region latencies. Knows nothing of consensus; the engine plugs in through `Sim`.
export * from './faults.ts'
export * from './harness.ts'
export * from './latency.ts'
export * from './network.ts'
export * from './prng.ts'
export * from './regions.ts'
export * from './scheduler.ts'
export * from './seed.ts'
