/**
 * Options of {@link UdpTrackEndpoint.open}, and their validation: errors are `TypeError` /
 * `RangeError` naming the option; the caller's object is never modified.
 */
import net from 'node:net';
import type { PacketSink } from '../recorder/types.js';

/** The one sender an endpoint accepts packets from. */
export type ExpectedSource = {
  /** IP literal (IPv4, or IPv6 when the endpoint binds IPv6). */
  readonly address: string;
  /** The sender's RTP source port. Default: latched from the first accepted RTP packet. */
  readonly port?: number;
  /**
   * The sender's RTCP source port when it sends RTCP from another port than RTP (ffmpeg
   * uses its RTP port + 1). RTCP from the RTP source port is accepted too. Default:
   * latched from the first RTCP datagram accepted from the sender (whatever its port, once
   * the RTP source port is known).
   */
  readonly rtcpPort?: number;
};

export type UdpTrackEndpointOptions = {
  /** IP literal to bind both sockets to; no host names. Default '127.0.0.1'. */
  readonly host?: string;
  /**
   * RTP port, 0..65535. Default 0: an ephemeral even port with its odd successor free for
   * RTCP (RFC 3550 §11), found by retrying. With a fixed port, RTCP takes port + 1 when it
   * is free, else an ephemeral port (read `endpoint.rtcp.port`).
   */
  readonly rtpPort?: number;
  /** With `rtpPort` 0: take the even/odd pair from this inclusive range (needs ≥ 2 ports). */
  readonly portRange?: { readonly min: number; readonly max: number };
  /**
   * Also accept RTCP on the RTP port, told apart by the second byte 192..223 (RFC 5761
   * §4). The RTCP socket stays open either way. Without it, every datagram on the RTP port
   * is treated as RTP. Default true.
   */
  readonly rtcpMux?: boolean;
  /**
   * Accept packets only from this sender. Default: the endpoint latches the source of the
   * first RTP packet it accepts and drops every other source from then on.
   */
  readonly expectedSource?: ExpectedSource;
  /** Accepted RTP SSRCs (RTCP is not filtered by SSRC). Default: any. */
  readonly expectedSsrcs?: readonly number[];
  /** Accepted RTP payload types, 0..127. Default: any. */
  readonly payloadTypes?: readonly number[];
  /** Receives every accepted datagram. */
  readonly sink: PacketSink;
  /**
   * Datagrams longer than this are dropped (`droppedOversize`). Default 2048: a 1500-byte
   * Ethernet MTU plus room for tunnels and jumbo-ish SFU configurations.
   */
  readonly maxPacketBytes?: number;
  /** Kernel receive buffer asked for each socket (Linux caps it at rmem_max). Default 4 MiB. */
  readonly receiveBufferBytes?: number;
  /**
   * Told about errors the endpoint survives: a sink that throws, a socket error. What this
   * callback throws is ignored. Default none (they are still counted in `stats`).
   */
  readonly onError?: (error: unknown) => void;
  /** Closes the endpoint when aborted; `open()` rejects if it is aborted first. */
  readonly signal?: AbortSignal;
};

export type ResolvedExpectedSource = {
  readonly address: string;
  /** Matches the address in any textual form, IPv4-mapped IPv6 included. */
  readonly matcher: net.BlockList;
  readonly port: number | undefined;
  readonly rtcpPort: number | undefined;
};

export type ResolvedEndpointOptions = {
  readonly host: string;
  readonly type: 'udp4' | 'udp6';
  readonly rtpPort: number;
  readonly portRange: { readonly min: number; readonly max: number } | undefined;
  readonly rtcpMux: boolean;
  readonly expectedSource: ResolvedExpectedSource | undefined;
  readonly expectedSsrcs: ReadonlySet<number> | undefined;
  /** 128 flags indexed by payload type, or undefined for "any". */
  readonly payloadTypes: Uint8Array | undefined;
  readonly sink: PacketSink;
  readonly maxPacketBytes: number;
  readonly receiveBufferBytes: number;
  readonly onError: ((error: unknown) => void) | undefined;
  readonly signal: AbortSignal | undefined;
};

export const DEFAULT_MAX_PACKET_BYTES = 2048;
const DEFAULT_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;
const MAX_UDP_PAYLOAD_BYTES = 65_507;

function integerIn(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `options.${name} must be an integer in ${min}..${max}, got ${String(value)}`,
    );
  }
  return value;
}

function ipLiteral(name: string, value: unknown): { address: string; family: 4 | 6 } {
  const family = typeof value === 'string' ? net.isIP(value) : 0;
  if (family !== 4 && family !== 6) {
    throw new TypeError(
      `options.${name} must be an IPv4 or IPv6 literal, got ${JSON.stringify(value)}`,
    );
  }
  return { address: value as string, family };
}

function integerList(name: string, value: unknown, max: number): number[] {
  if (!Array.isArray(value)) throw new TypeError(`options.${name} must be an array of integers`);
  return value.map((v: unknown, i) => integerIn(`${name}[${i}]`, v, 0, max));
}

function resolveExpectedSource(value: ExpectedSource, hostFamily: 4 | 6): ResolvedExpectedSource {
  if (typeof value !== 'object' || value === null) {
    throw new TypeError('options.expectedSource must be an object { address, port?, rtcpPort? }');
  }
  const { address, family } = ipLiteral('expectedSource.address', value.address);
  if (family === 6 && hostFamily === 4 && !address.toLowerCase().startsWith('::ffff:')) {
    throw new TypeError(
      `options.expectedSource.address ${address} is IPv6 but options.host binds IPv4`,
    );
  }
  const matcher = new net.BlockList();
  matcher.addAddress(address, family === 4 ? 'ipv4' : 'ipv6');
  return {
    address,
    matcher,
    port:
      value.port === undefined ? undefined : integerIn('expectedSource.port', value.port, 1, 65535),
    rtcpPort:
      value.rtcpPort === undefined
        ? undefined
        : integerIn('expectedSource.rtcpPort', value.rtcpPort, 1, 65535),
  };
}

/** Validates `options` and returns a new object with every default applied. */
export function resolveEndpointOptions(options: UdpTrackEndpointOptions): ResolvedEndpointOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('options must be an object');
  }
  const sink: unknown = options.sink;
  if (
    typeof sink !== 'object' ||
    sink === null ||
    typeof (sink as PacketSink).push !== 'function'
  ) {
    throw new TypeError(
      'options.sink must be an object with a push(packet, arrivalMs, isRtcp) method',
    );
  }
  const { address: host, family } = ipLiteral('host', options.host ?? '127.0.0.1');
  const rtcpMux = options.rtcpMux ?? true;
  if (typeof rtcpMux !== 'boolean') throw new TypeError('options.rtcpMux must be a boolean');
  const onError: unknown = options.onError;
  if (onError !== undefined && typeof onError !== 'function') {
    throw new TypeError('options.onError must be a function');
  }
  const signal: unknown = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError('options.signal must be an AbortSignal');
  }
  let payloadTypes: Uint8Array | undefined;
  if (options.payloadTypes !== undefined) {
    payloadTypes = new Uint8Array(128);
    for (const pt of integerList('payloadTypes', options.payloadTypes, 127)) payloadTypes[pt] = 1;
  }
  return {
    host,
    type: family === 4 ? 'udp4' : 'udp6',
    rtpPort: integerIn('rtpPort', options.rtpPort ?? 0, 0, 65535),
    portRange: resolvePortRange(options.portRange),
    rtcpMux,
    expectedSource:
      options.expectedSource === undefined
        ? undefined
        : resolveExpectedSource(options.expectedSource, family),
    expectedSsrcs:
      options.expectedSsrcs === undefined
        ? undefined
        : new Set(integerList('expectedSsrcs', options.expectedSsrcs, 0xffff_ffff)),
    payloadTypes,
    sink: sink as PacketSink,
    maxPacketBytes: integerIn(
      'maxPacketBytes',
      options.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES,
      12,
      MAX_UDP_PAYLOAD_BYTES,
    ),
    receiveBufferBytes: integerIn(
      'receiveBufferBytes',
      options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER_BYTES,
      1,
      0x7fff_ffff,
    ),
    onError: onError as ((error: unknown) => void) | undefined,
    signal,
  };
}

function resolvePortRange(
  range: { readonly min: number; readonly max: number } | undefined,
): { readonly min: number; readonly max: number } | undefined {
  if (range === undefined) return undefined;
  const min = integerIn('portRange.min', range.min, 1, 65535);
  const max = integerIn('portRange.max', range.max, 1, 65535);
  const firstEven = min % 2 === 0 ? min : min + 1;
  if (firstEven + 1 > max)
    throw new RangeError(`options.portRange ${min}..${max} holds no even/odd port pair`);
  return { min, max };
}
