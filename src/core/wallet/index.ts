/**
 * The wallet side of the core (DESIGN §2): for now the light client of the wallet protocol; keys,
 * the keystore, coin selection and the transaction builder come with the light-wallet issue.
 */
export * from './light-client/index.ts'
