/**
 * One RTP track received over plain UDP, as an SFU that forwards RTP (a mediasoup
 * PlainTransport, ffmpeg, GStreamer) sends it: an RTP socket and an RTCP socket, one
 * sender, every accepted datagram handed to a `PacketSink` exactly as received.
 *
 * Per datagram, in this order; the first check that fails counts it (see `stats`):
 *
 * ```text
 * received
 *   ├─ longer than maxPacketBytes ─────────────────────────▶ droppedOversize
 *   ├─ not from the expected/latched sender ─────────────────▶ droppedForeignSource
 *   │    (while no sender is latched, judged after the checks below)
 *   ├─ not valid RTP (§A.1) / RTCP (§A.2) for its port ──────▶ droppedMalformed
 *   ├─ RTP payload type not in payloadTypes ─────────────────▶ droppedPayloadType
 *   ├─ RTP SSRC not in expectedSsrcs ────────────────────────▶ droppedSsrc
 *   ├─ RTCP before the sender's first RTP packet ────────────▶ held (pendingRtcp)
 *   └─ sink.push(packet, arrivalMs, isRtcp) ─────────────────▶ accepted (rtcp)
 * ```
 *
 * RTP port: RTP, and RTCP too with rtcp-mux (second byte 192..223). RTCP port: RTCP only.
 * RTCP that arrives before the sender's first RTP packet is held (see `PendingRtcp`) and
 * delivered, in arrival order and with its arrival time, once that packet names the sender.
 *
 * @see RFC 3550 §5.1, §6, §11, §A.1, §A.2; RFC 5761 §4 (rtcp-mux); RFC 7362 (latching)
 */
import type dgram from 'node:dgram';
import { bindPortPair, closeSocket } from './bind-port-pair.js';
import { classifyDatagram, type PortRole } from './classify-datagram.js';
import { PendingRtcp, type PendingRtcpEntry } from './pending-rtcp.js';
import { SourceLatch, type LatchedSource } from './source-latch.js';
import {
  emptyEndpointStats,
  type MutableEndpointStats,
  type UdpEndpointStats,
} from './udp-endpoint-stats.js';
import {
  resolveEndpointOptions,
  type ResolvedEndpointOptions,
  type UdpTrackEndpointOptions,
} from './udp-endpoint-options.js';

/** Where a socket is bound. */
export type UdpAddress = {
  readonly host: string;
  readonly port: number;
};

/** RTCP datagrams held while no RTP sender is known (a sender report or two in practice). */
const PENDING_RTCP_CAPACITY = 16;

export class UdpTrackEndpoint {
  readonly #options: ResolvedEndpointOptions;
  readonly #rtpSocket: dgram.Socket;
  readonly #rtcpSocket: dgram.Socket;
  readonly #rtp: UdpAddress;
  readonly #rtcp: UdpAddress;
  readonly #stats: MutableEndpointStats;
  readonly #latch: SourceLatch;
  readonly #pending = new PendingRtcp(PENDING_RTCP_CAPACITY);
  readonly #onAbort = (): void => void this.close();
  readonly #reportError = (error: unknown): void => notify(this.#options.onError, error);
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(
    options: ResolvedEndpointOptions,
    sockets: { rtp: dgram.Socket; rtcp: dgram.Socket },
    stats: MutableEndpointStats,
  ) {
    this.#options = options;
    this.#stats = stats;
    this.#latch = new SourceLatch(options.expectedSource);
    this.#rtpSocket = sockets.rtp;
    this.#rtcpSocket = sockets.rtcp;
    const rtp = sockets.rtp.address();
    const rtcp = sockets.rtcp.address();
    this.#rtp = { host: rtp.address, port: rtp.port };
    this.#rtcp = { host: rtcp.address, port: rtcp.port };
    const rtpRole: PortRole = options.rtcpMux ? 'rtp+rtcp' : 'rtp';
    sockets.rtp.on('message', (msg, rinfo) => this.#onDatagram(rtpRole, msg, rinfo));
    sockets.rtcp.on('message', (msg, rinfo) => this.#onDatagram('rtcp', msg, rinfo));
    options.signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /**
   * Validates `options` (`TypeError`/`RangeError` naming the option), binds both sockets
   * and starts delivering. Rejects with the bind error (a fixed `rtpPort` in use) or with
   * the signal's reason when aborted first; nothing stays bound then.
   */
  static async open(options: UdpTrackEndpointOptions): Promise<UdpTrackEndpoint> {
    const resolved = resolveEndpointOptions(options);
    const stats = emptyEndpointStats();
    const onSocketError = (error: Error): void => {
      stats.socketErrors++;
      notify(resolved.onError, error);
    };
    const sockets = await bindPortPair({ ...resolved, onSocketError });
    const endpoint = new UdpTrackEndpoint(resolved, sockets, stats);
    if (resolved.signal?.aborted === true) {
      await endpoint.close();
      resolved.signal.throwIfAborted();
    }
    return endpoint;
  }

  /** Where to send RTP (and, with rtcp-mux, RTCP). */
  get rtp(): UdpAddress {
    return this.#rtp;
  }

  /** Where to send RTCP without rtcp-mux: the RTP port + 1 whenever it was free. */
  get rtcp(): UdpAddress {
    return this.#rtcp;
  }

  /** A snapshot of the counters. */
  get stats(): UdpEndpointStats {
    return { ...this.#stats };
  }

  /** The sender, once a packet from it was accepted and its RTP port is known. */
  get source(): LatchedSource | undefined {
    return this.#latch.source;
  }

  /** True from the first `close()` call (or abort) on. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Stops delivering at once (nothing reaches the sink after this call, even datagrams
   * already read), discards held RTCP (`droppedOnClose`), and resolves when both sockets
   * are closed.
   * Idempotent: every call returns the same promise.
   */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#closed = true;
      this.#options.signal?.removeEventListener('abort', this.#onAbort);
      this.#stats.droppedOnClose += this.#pending.drain().length;
      this.#stats.pendingRtcp = 0;
      this.#closing = Promise.all([
        closeSocket(this.#rtpSocket),
        closeSocket(this.#rtcpSocket),
      ]).then(() => undefined);
    }
    return this.#closing;
  }

  #onDatagram(role: PortRole, message: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.#closed) return;
    const arrivalMs = Date.now();
    // A plain view of the bytes dgram read (each message has its own memory): no copy, and
    // no Buffer semantics (Buffer#slice is a view) leaking into sinks.
    const packet = new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
    const stats = this.#stats;
    stats.received++;
    if (packet.byteLength > this.#options.maxPacketBytes) {
      stats.droppedOversize++;
      return;
    }
    const { address, family, port } = rinfo;
    if (this.#latch.isForeign(address, family, port)) {
      stats.droppedForeignSource++;
      return;
    }
    switch (classifyDatagram(packet, role, this.#options, this.#reportError)) {
      case 'malformed':
        stats.droppedMalformed++;
        return;
      case 'payloadType':
        stats.droppedPayloadType++;
        return;
      case 'ssrc':
        stats.droppedSsrc++;
        return;
      case 'rtp':
        if (!this.#latch.admitRtp(address, family, port)) {
          stats.droppedForeignSource++;
          return;
        }
        if (this.#pending.size > 0) this.#releasePending();
        this.#deliver(packet, arrivalMs, false);
        return;
      case 'rtcp':
        this.#admitRtcp({ packet, arrivalMs, address, family, port });
        return;
    }
  }

  #admitRtcp(entry: PendingRtcpEntry): void {
    switch (this.#latch.admitRtcp(entry.address, entry.family, entry.port)) {
      case 'accept':
        this.#deliver(entry.packet, entry.arrivalMs, true);
        return;
      case 'foreign':
        this.#stats.droppedForeignSource++;
        return;
      case 'pending':
        this.#stats.droppedUnclaimedRtcp += this.#pending.add(entry);
        this.#stats.pendingRtcp = this.#pending.size;
        return;
    }
  }

  /** The RTP sender just became known: held RTCP from it goes first, oldest first. */
  #releasePending(): void {
    const entries = this.#pending.drain();
    this.#stats.pendingRtcp = 0;
    for (const entry of entries) {
      if (this.#closed) this.#stats.droppedOnClose++;
      else this.#admitRtcp(entry);
    }
  }

  #deliver(packet: Uint8Array, arrivalMs: number, isRtcp: boolean): void {
    const stats = this.#stats;
    if (this.#closed) {
      stats.droppedOnClose++; // the sink closed the endpoint while this datagram was in hand
      return;
    }
    stats.accepted++;
    if (isRtcp) stats.rtcp++;
    try {
      this.#options.sink.push(packet, arrivalMs, isRtcp);
    } catch (error) {
      stats.sinkErrors++;
      this.#reportError(error);
    }
  }
}

function notify(onError: ((error: unknown) => void) | undefined, error: unknown): void {
  try {
    onError?.(error);
  } catch {
    // A throwing error callback must not break delivery either.
  }
}
