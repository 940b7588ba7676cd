/**
 * The handshake service's defaults. Each is a setting (`HandshakeInit`); tests shorten the
 * timeout, the daemon derives the connection bound from `maxconnections`.
 */
import { MAX_HELLO_SIZE } from '../../protocol/handshake.ts'

/** A connection that has not completed its handshake by then is closed (DESIGN §5: 10 s). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000

/**
 * Most connections the service tracks at once (handshaking or handshaken); a connection past it
 * is closed unhandshaken. The connection manager's `maxConnections` normally binds first.
 */
export const DEFAULT_MAX_TRACKED_CONNECTIONS = 4_096

/**
 * The frame limit: a hello is refused by its length prefix before any of it is buffered, and a
 * stream buffers one frame and its prefix at most (`frameLimits`).
 */
export const MAX_HELLO_FRAME = MAX_HELLO_SIZE

/** How long closing a failed connection may take before it is aborted. */
export const CLOSE_TIMEOUT_MS = 1_000
