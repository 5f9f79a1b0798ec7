/**
 * One WHIP publisher: a werift peer connection that answers the publisher's offer
 * (receive only) and hands every decrypted RTP packet, and every RTCP sender report, to
 * the sink of the track it belongs to.
 *
 * ```
 * publisher ──SRTP/SRTCP──▶ ICE (host candidate on iceHost only) ─▶ DTLS ─▶ SRTP decrypt
 *        ─▶ dtlsTransport.onRtp (bytes as received, RTX still wrapped) ─▶ route by SSRC, PT
 *        ─▶ sinkFor(track) once per m-section, on its first media packet ─▶ sink.push()
 * ```
 *
 * The answer is returned only once ICE gathering has finished, so it carries every local
 * candidate (WHIP servers answer with a complete SDP). No STUN or TURN server is used and
 * no name is resolved: the only candidate is a host candidate on `iceHost`, and the
 * publisher's mDNS (`.local`) candidates are dropped from the offer (the publisher's
 * address is learnt from its connectivity checks, as a peer-reflexive candidate).
 *
 * @see RFC 9725 (WHIP), RFC 8829 (JSEP), RFC 8445 §7.3.1.3 (peer-reflexive candidates),
 *   RFC 4585 §6.3.1 (PLI)
 */
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import {
  RTCPeerConnection,
  RtcpSrPacket,
  type RTCDtlsTransport,
  type RTCRtpTransceiver,
  type RtcpPacket,
  type RtpPacket,
} from 'werift';
import { TapedeckError } from '../../errors.js';
import type { PacketSink } from '../recorder/types.js';
import {
  audioCodecs,
  codecName,
  isRepairCodec,
  parseFmtp,
  rtxFor,
  videoCodecs,
} from './whip-codecs.js';

/** A received track, as told to `sinkFor` on its first media packet. */
export type WhipTrackInfo = {
  readonly kind: 'audio' | 'video';
  /** The m-section's mid ("0", "1", …), or "" when the offer had none. */
  readonly mid: string;
  readonly codec: {
    /** Encoding name: opus, VP8, H264, VP9, AV1. */
    readonly name: string;
    readonly payloadType: number;
    readonly clockRate: number;
    readonly channels?: number;
    readonly fmtp: Readonly<Record<string, string>>;
  };
  /** The media SSRC of the first packet. */
  readonly ssrc: number;
  readonly rtxPayloadType?: number;
};

export type WhipSessionOptions = {
  /** The publisher's SDP offer. */
  readonly offerSdp: string;
  /** Called once per m-section, when its first media (not RTX/FEC) packet arrives. */
  readonly sinkFor: (track: WhipTrackInfo) => PacketSink;
  /** The one local address ICE listens on and advertises. Default 127.0.0.1. */
  readonly iceHost?: string;
  /** Aborting closes the session (and rejects `create()` while it is negotiating). */
  readonly signal?: AbortSignal;
  /** Longest wait for ICE gathering, ms. Default 5000. */
  readonly gatherTimeoutMs?: number;
};

/** Counters of a session (packets seen on the transport, routed or not). */
export type WhipSessionStats = {
  readonly rtpPushed: number;
  readonly rtcpPushed: number;
  /** RTP with an SSRC/payload type no m-section claims, or repair packets before their track. */
  readonly rtpUnrouted: number;
};

type TrackRoute = {
  readonly transceiver: RTCRtpTransceiver;
  sink: PacketSink | undefined;
  /** Media SSRCs seen on this m-section. */
  readonly ssrcs: Set<number>;
};

function mdnsFree(sdp: string): string {
  return sdp
    .split(/\r?\n/)
    .filter((line) => !/^a=candidate:\S+ \d+ \S+ \d+ \S+\.local /i.test(line))
    .join('\r\n');
}

/** The decrypted datagram a werift RtpPacket was parsed from (its payload is a view into it). */
function receivedBytes(packet: RtpPacket): Uint8Array {
  const { header, payload } = packet;
  const start = payload.byteOffset - header.payloadOffset;
  const length = header.payloadOffset + payload.length + header.paddingSize;
  if (start >= 0 && start + length <= payload.buffer.byteLength && length >= 12) {
    const view = new Uint8Array(payload.buffer, start, length);
    const ssrc = ((view[8]! << 24) | (view[9]! << 16) | (view[10]! << 8) | view[11]!) >>> 0;
    const seq = (view[2]! << 8) | view[3]!;
    if (ssrc === header.ssrc && seq === header.sequenceNumber) return view.slice();
  }
  return new Uint8Array(packet.serialize());
}

export class WhipSession {
  readonly id: string;
  readonly answerSdp: string;
  readonly #pc: RTCPeerConnection;
  readonly #sinkFor: (track: WhipTrackInfo) => PacketSink;
  readonly #bySsrc = new Map<number, TrackRoute>();
  readonly #byTransceiver = new Map<RTCRtpTransceiver, TrackRoute>();
  #closed: Promise<void> | undefined;
  #rtpPushed = 0;
  #rtcpPushed = 0;
  #rtpUnrouted = 0;

  private constructor(
    pc: RTCPeerConnection,
    answerSdp: string,
    sinkFor: WhipSessionOptions['sinkFor'],
  ) {
    this.id = randomUUID();
    this.#pc = pc;
    this.answerSdp = answerSdp;
    this.#sinkFor = sinkFor;
  }

  /**
   * Negotiates with the offer and resolves once the answer is complete. TypeError/RangeError
   * for bad options; TapedeckError SDP_INVALID when werift rejects the offer or it carries
   * no audio or video; ABORTED when `signal` aborts first.
   */
  static async create(options: WhipSessionOptions): Promise<WhipSession> {
    if (typeof options !== 'object' || options === null)
      throw new TypeError('options must be an object');
    const { offerSdp, sinkFor, iceHost = '127.0.0.1', signal, gatherTimeoutMs = 5000 } = options;
    if (typeof offerSdp !== 'string' || !offerSdp.startsWith('v=0')) {
      throw new TapedeckError(
        'SDP_INVALID',
        'the WHIP offer must be an SDP document starting with v=0',
      );
    }
    if (typeof sinkFor !== 'function') throw new TypeError('options.sinkFor must be a function');
    if (isIP(iceHost) !== 4)
      throw new RangeError(`options.iceHost must be an IPv4 address, got ${iceHost}`);
    if (!Number.isInteger(gatherTimeoutMs) || gatherTimeoutMs < 1) {
      throw new RangeError(
        `options.gatherTimeoutMs must be a positive integer, got ${gatherTimeoutMs}`,
      );
    }
    signal?.throwIfAborted();
    const pc = new RTCPeerConnection({
      codecs: { audio: audioCodecs(), video: videoCodecs() },
      iceServers: [],
      iceUseIpv4: false, // no interface scan: the only host address is iceHost
      iceUseIpv6: false,
      iceAdditionalHostAddresses: [iceHost],
      iceInterfaceAddresses: { udp4: iceHost },
      bundlePolicy: 'max-bundle',
    });
    let session: WhipSession | undefined;
    const onAbort = (): void => {
      void (session?.close() ?? pc.close());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      try {
        await pc.setRemoteDescription({ type: 'offer', sdp: mdnsFree(offerSdp) });
      } catch (error) {
        throw new TapedeckError('SDP_INVALID', `WHIP offer rejected: ${(error as Error).message}`);
      }
      const transceivers = pc
        .getTransceivers()
        .filter((t) => t.kind === 'audio' || t.kind === 'video');
      if (transceivers.length === 0)
        throw new TapedeckError('SDP_INVALID', 'the WHIP offer has no audio or video');
      for (const t of transceivers) t.setDirection('recvonly');
      const gathered = new Promise<void>((resolve, reject) => {
        if (pc.iceGatheringState === 'complete') return resolve();
        const timer = setTimeout(
          () => reject(new TapedeckError('UNAVAILABLE', 'ICE gathering timed out')),
          gatherTimeoutMs,
        );
        pc.iceGatheringStateChange.subscribe((state) => {
          if (state === 'complete') {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      // Handled now: should the answer take longer than the timeout (a loaded server) or
      // fail, the rejection must not go unhandled (that would end the process).
      gathered.catch(() => undefined);
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered;
      signal?.throwIfAborted();
      const answerSdp = pc.localDescription?.sdp;
      if (answerSdp === undefined) throw new TapedeckError('INTERNAL', 'werift produced no answer');
      session = new WhipSession(pc, answerSdp, sinkFor);
      session.#attach(transceivers);
      return session;
    } catch (error) {
      signal?.removeEventListener('abort', onAbort);
      await pc.close().catch(() => undefined);
      if (signal?.aborted === true) throw new TapedeckError('ABORTED', 'WHIP session aborted');
      throw error;
    }
  }

  get stats(): WhipSessionStats {
    return {
      rtpPushed: this.#rtpPushed,
      rtcpPushed: this.#rtcpPushed,
      rtpUnrouted: this.#rtpUnrouted,
    };
  }

  /** Resolves when ICE and DTLS are up (rejects if the connection fails or closes first). */
  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (state: string): boolean => {
        if (state === 'connected') resolve();
        else if (state === 'failed' || state === 'closed')
          reject(new TapedeckError('UNAVAILABLE', `WHIP connection ${state}`));
        else return false;
        return true;
      };
      if (check(this.#pc.connectionState)) return;
      const { unSubscribe } = this.#pc.connectionStateChange.subscribe((state) => {
        if (check(state)) unSubscribe();
      });
    });
  }

  /** Sends a PLI for every video SSRC seen so far. */
  requestKeyframe(): void {
    for (const route of this.#byTransceiver.values()) {
      if (route.transceiver.kind !== 'video') continue;
      for (const ssrc of route.ssrcs)
        void route.transceiver.receiver.sendRtcpPLI(ssrc).catch(() => undefined);
    }
  }

  /** Closes the peer connection. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= this.#pc.close().catch(() => undefined);
    return this.#closed;
  }

  #attach(transceivers: readonly RTCRtpTransceiver[]): void {
    for (const t of transceivers)
      this.#byTransceiver.set(t, { transceiver: t, sink: undefined, ssrcs: new Set() });
    const transports = new Set<RTCDtlsTransport>(this.#pc.dtlsTransports);
    for (const dtls of transports) {
      dtls.onRtp.subscribe((packet) => this.#onRtp(packet));
      dtls.onRtcp.subscribe((packet) => this.#onRtcp(packet));
    }
  }

  #route(ssrc: number, payloadType: number): TrackRoute | undefined {
    const known = this.#bySsrc.get(ssrc);
    if (known !== undefined) return known;
    let found: TrackRoute | undefined;
    for (const route of this.#byTransceiver.values()) {
      if (route.transceiver.receiver.trackBySSRC[ssrc] !== undefined) found = route;
    }
    if (found === undefined) {
      const claiming = [...this.#byTransceiver.values()].filter((r) =>
        r.transceiver.codecs.some((c) => c.payloadType === payloadType),
      );
      if (claiming.length === 1) found = claiming[0];
    }
    if (found !== undefined) this.#bySsrc.set(ssrc, found);
    return found;
  }

  #onRtp(packet: RtpPacket): void {
    if (this.#closed !== undefined) return;
    const { ssrc, payloadType } = packet.header;
    const route = this.#route(ssrc, payloadType);
    const codec = route?.transceiver.codecs.find((c) => c.payloadType === payloadType);
    if (route === undefined || codec === undefined) {
      this.#rtpUnrouted++;
      return;
    }
    const repair = isRepairCodec(codec);
    if (!repair && !route.ssrcs.has(ssrc)) {
      route.ssrcs.add(ssrc);
      if (route.sink === undefined) route.sink = this.#open(route, packet, codec);
      if (route.transceiver.kind === 'video') {
        void route.transceiver.receiver.sendRtcpPLI(ssrc).catch(() => undefined);
      }
    }
    if (route.sink === undefined) {
      this.#rtpUnrouted++;
      return;
    }
    route.sink.push(receivedBytes(packet), Date.now(), false);
    this.#rtpPushed++;
  }

  #open(
    route: TrackRoute,
    packet: RtpPacket,
    codec: RTCRtpTransceiver['codecs'][number],
  ): PacketSink {
    const { transceiver } = route;
    const rtx = rtxFor(transceiver.codecs, codec.payloadType);
    const info: WhipTrackInfo = {
      kind: transceiver.kind === 'audio' ? 'audio' : 'video',
      mid: transceiver.mid ?? '',
      codec: {
        name: codecName(codec),
        payloadType: codec.payloadType,
        clockRate: codec.clockRate,
        ...(codec.channels === undefined ? {} : { channels: codec.channels }),
        fmtp: parseFmtp(codec.parameters),
      },
      ssrc: packet.header.ssrc,
      ...(rtx === undefined ? {} : { rtxPayloadType: rtx }),
    };
    return this.#sinkFor(info);
  }

  #onRtcp(packet: RtcpPacket): void {
    if (this.#closed !== undefined || !(packet instanceof RtcpSrPacket)) return;
    const route = this.#bySsrc.get(packet.ssrc);
    if (route?.sink === undefined) return;
    route.sink.push(new Uint8Array(packet.serialize()), Date.now(), true);
    this.#rtcpPushed++;
  }
}
