/**
 * Which sender an endpoint listens to. A plain RTP sender has no handshake, so the
 * endpoint either knows its sender beforehand (`expectedSource`) or latches the first one
 * whose RTP it accepts ("latching", as media servers behind NATs do); everyone else is
 * foreign. RTCP must come from the same address and from one RTCP source port, expected
 * or latched from the first RTCP datagram accepted: the RTP source port (one socket for
 * both, as with rtcp-mux, RFC 5761) or another one (ffmpeg sends from its RTP port + 1).
 * The RTP source port itself is always accepted for RTCP.
 * @see RFC 7362 (latching), RFC 3550 §8.2 (transport address checks), RFC 5761 §4
 */
import type { ResolvedExpectedSource } from './udp-endpoint-options.js';

/** The sender as seen on the wire. */
export type LatchedSource = {
  readonly address: string;
  /** RTP source port. */
  readonly port: number;
  /**
   * RTCP source port, once RTCP was accepted (or when expected): the RTP port itself for a
   * sender that sends both from one socket, else its separate RTCP port.
   */
  readonly rtcpPort: number | undefined;
};

export type RtcpAdmission = 'accept' | 'foreign' | 'pending';

export class SourceLatch {
  readonly #expected: ResolvedExpectedSource | undefined;
  /** The sender's address exactly as the socket reports it, once a packet is accepted. */
  #address: string | undefined;
  #rtpPort: number | undefined;
  #rtcpPort: number | undefined;

  constructor(expected: ResolvedExpectedSource | undefined) {
    this.#expected = expected;
    this.#rtpPort = expected?.port;
    this.#rtcpPort = expected?.rtcpPort;
  }

  /** Defined once a packet was accepted from a sender whose RTP port is known. */
  get source(): LatchedSource | undefined {
    if (this.#address === undefined || this.#rtpPort === undefined) return undefined;
    return { address: this.#address, port: this.#rtpPort, rtcpPort: this.#rtcpPort };
  }

  /** True when the RTP source port is known, so RTCP need not wait. */
  get rtpSourceKnown(): boolean {
    return this.#rtpPort !== undefined;
  }

  #addressMatches(address: string, family: string): boolean {
    if (this.#address !== undefined) return address === this.#address;
    if (this.#expected === undefined) return true;
    return this.#expected.matcher.check(address, family === 'IPv6' ? 'ipv6' : 'ipv4');
  }

  /**
   * True when a datagram from `address:port` cannot belong to the sender, whatever its
   * bytes (so foreign traffic is counted as foreign, not parsed).
   */
  isForeign(address: string, family: string, port: number): boolean {
    if (!this.#addressMatches(address, family)) return true;
    return (
      this.#rtpPort !== undefined &&
      this.#rtcpPort !== undefined &&
      port !== this.#rtpPort &&
      port !== this.#rtcpPort
    );
  }

  /** Admits a valid RTP packet, latching the sender when none is known yet. */
  admitRtp(address: string, family: string, port: number): boolean {
    if (!this.#addressMatches(address, family)) return false;
    if (this.#rtpPort !== undefined && port !== this.#rtpPort) return false;
    this.#address = address;
    this.#rtpPort = port;
    return true;
  }

  /**
   * Admits a valid RTCP packet: 'pending' while the RTP source port is unknown (the
   * caller holds it until RTP latches, then asks again), else accepted or foreign.
   */
  admitRtcp(address: string, family: string, port: number): RtcpAdmission {
    if (!this.#addressMatches(address, family)) return 'foreign';
    if (this.#rtpPort === undefined) return 'pending';
    if (this.#rtcpPort === undefined) this.#rtcpPort = port;
    else if (port !== this.#rtcpPort && port !== this.#rtpPort) return 'foreign';
    this.#address = address;
    return 'accept';
  }
}
