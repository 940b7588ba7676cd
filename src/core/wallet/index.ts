/**
 * The wallet side of the core (DESIGN §2): keys (BIP39 seed, SLIP-10 ed25519 derivation) and the
 * light client of the wallet protocol; the keystore, coin selection and the transaction builder of
 * the light wallet come with the light-wallet issue (the node wallet has its own, src/node/wallet).
 */
export * from './keys.ts'
export * from './light-client/index.ts'
