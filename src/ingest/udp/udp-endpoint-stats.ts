/**
 * Counters of one UDP endpoint, over both of its sockets. Every datagram read while the
 * endpoint is open is counted once in `received` and then exactly once in one of
 * `accepted`, the `dropped*` counters or `pendingRtcp`:
 *
 * `received = accepted + droppedOversize + droppedForeignSource + droppedMalformed
 *   + droppedPayloadType + droppedSsrc + droppedUnclaimedRtcp + droppedOnClose + pendingRtcp`
 */
export type UdpEndpointStats = {
  /** Datagrams read from either socket. */
  readonly received: number;
  /** Datagrams handed to the sink (RTP and RTCP). */
  readonly accepted: number;
  /** Of `accepted`, the RTCP ones. */
  readonly rtcp: number;
  /** From an address or port other than the expected or latched sender. */
  readonly droppedForeignSource: number;
  /** Not a valid RTP packet (RFC 3550 §A.1) or RTCP compound packet (§A.2) for its port. */
  readonly droppedMalformed: number;
  /** RTP with a payload type outside `payloadTypes`. */
  readonly droppedPayloadType: number;
  /** RTP with an SSRC outside `expectedSsrcs`. */
  readonly droppedSsrc: number;
  /** Longer than `maxPacketBytes`. */
  readonly droppedOversize: number;
  /** RTCP held while no RTP sender was known, pushed out by newer RTCP (16 are kept). */
  readonly droppedUnclaimedRtcp: number;
  /**
   * Read but never delivered because the endpoint closed first: RTCP still held at
   * `close()`, and datagrams in hand when the sink itself called `close()`.
   */
  readonly droppedOnClose: number;
  /** RTCP held now, waiting for the sender's first RTP packet. */
  readonly pendingRtcp: number;
  /** Calls to `sink.push` that threw (the packet still counts as accepted). */
  readonly sinkErrors: number;
  /** 'error' events of either socket after binding. */
  readonly socketErrors: number;
};

export type MutableEndpointStats = { -readonly [K in keyof UdpEndpointStats]: number };

export function emptyEndpointStats(): MutableEndpointStats {
  return {
    received: 0,
    accepted: 0,
    rtcp: 0,
    droppedForeignSource: 0,
    droppedMalformed: 0,
    droppedPayloadType: 0,
    droppedSsrc: 0,
    droppedOversize: 0,
    droppedUnclaimedRtcp: 0,
    droppedOnClose: 0,
    pendingRtcp: 0,
    sinkErrors: 0,
    socketErrors: 0,
  };
}
