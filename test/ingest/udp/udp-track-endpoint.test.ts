/**
 * UdpTrackEndpoint over real loopback sockets with hand-made datagrams. A test waits for
 * a "sentinel" packet from the accepted sender on the same port as the datagrams it wants
 * judged: one socket's datagrams are read in order, so when the sentinel reaches the sink,
 * everything sent before it has been counted.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  UdpTrackEndpoint,
  type UdpEndpointStats,
  type UdpTrackEndpointOptions,
} from '../../../src/ingest/udp/index.js';
import { RecordingSink } from './helpers/recording-sink.js';
import { MALFORMED, rtp, sr, srTagOf, tagOf } from './helpers/test-packets.js';
import { UdpSender } from './helpers/udp-sender.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function openEndpoint(
  options: Partial<UdpTrackEndpointOptions> = {},
): Promise<{ endpoint: UdpTrackEndpoint; sink: RecordingSink }> {
  const sink = new RecordingSink();
  const endpoint = await UdpTrackEndpoint.open({ sink, ...options });
  cleanups.push(() => endpoint.close());
  return { endpoint, sink };
}

async function sender(options: { port?: number; host?: string } = {}): Promise<UdpSender> {
  const s = await UdpSender.open(options);
  cleanups.push(() => s.close());
  return s;
}

/** Sends a tagged RTP packet from `from` to `port` and waits until the sink has it. */
async function sentinel(
  sink: RecordingSink,
  from: UdpSender,
  port: number,
  tag: number,
): Promise<void> {
  await from.send(rtp({ tag }), port);
  await sink.waitFor((p) => !p.isRtcp && tagOf(p.packet) === tag);
}

function expectBalanced(stats: UdpEndpointStats): void {
  expect(stats.received).toBe(
    stats.accepted +
      stats.droppedOversize +
      stats.droppedForeignSource +
      stats.droppedMalformed +
      stats.droppedPayloadType +
      stats.droppedSsrc +
      stats.droppedUnclaimedRtcp +
      stats.droppedOnClose +
      stats.pendingRtcp,
  );
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

describe('UdpTrackEndpoint.open()', () => {
  it('binds 127.0.0.1 by default, RTP on an even ephemeral port and RTCP on the next one', async () => {
    const { endpoint } = await openEndpoint();
    expect(endpoint.rtp.host).toBe('127.0.0.1');
    expect(endpoint.rtcp.host).toBe('127.0.0.1');
    expect(endpoint.rtp.port % 2).toBe(0);
    expect(endpoint.rtcp.port).toBe(endpoint.rtp.port + 1);
  });

  it('binds a fixed rtpPort, and RTCP on rtpPort + 1', async () => {
    const probe = await UdpTrackEndpoint.open({ sink: new RecordingSink() });
    const port = probe.rtp.port;
    await probe.close();
    const { endpoint } = await openEndpoint({ rtpPort: port });
    expect(endpoint.rtp).toEqual({ host: '127.0.0.1', port });
    expect(endpoint.rtcp).toEqual({ host: '127.0.0.1', port: port + 1 });
  });

  it('puts RTCP on another port when rtpPort + 1 is taken', async () => {
    let blocker = await sender();
    while (blocker.port === 1 || !(await isPortFree(blocker.port - 1))) blocker = await sender();
    const { endpoint } = await openEndpoint({ rtpPort: blocker.port - 1 });
    expect(endpoint.rtp.port).toBe(blocker.port - 1);
    expect(endpoint.rtcp.port).not.toBe(blocker.port);
    expect(endpoint.rtcp.port).not.toBe(endpoint.rtp.port);
  });

  it('takes even/odd pairs from portRange, skips taken ports, and is UNAVAILABLE when the range is full', async () => {
    // Find four consecutive free ports starting at an even one.
    let base = 0;
    for (;;) {
      const probe = await UdpTrackEndpoint.open({ sink: new RecordingSink() });
      base = probe.rtp.port;
      await probe.close();
      if (base + 3 <= 0xffff && (await isPortFree(base + 2)) && (await isPortFree(base + 3))) break;
    }
    const portRange = { min: base, max: base + 3 };
    const { endpoint: a } = await openEndpoint({ portRange });
    const { endpoint: b } = await openEndpoint({ portRange });
    expect([a.rtp.port, a.rtcp.port, b.rtp.port, b.rtcp.port].sort()).toEqual([
      base,
      base + 1,
      base + 2,
      base + 3,
    ]);
    await expect(
      UdpTrackEndpoint.open({ sink: new RecordingSink(), portRange }),
    ).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringContaining(`${base}..${base + 3}`),
    });
  });

  it('rejects with EADDRINUSE when a fixed rtpPort is taken', async () => {
    const taken = await sender();
    await expect(
      UdpTrackEndpoint.open({ sink: new RecordingSink(), rtpPort: taken.port }),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('rejects bad options with a TypeError or RangeError naming the option', async () => {
    const sink = new RecordingSink();
    const cases: [Partial<UdpTrackEndpointOptions>, ErrorConstructor, RegExp][] = [
      [{ host: 'localhost' }, TypeError, /options\.host/],
      [{ rtpPort: 70_000 }, RangeError, /options\.rtpPort/],
      [{ payloadTypes: [111, 128] }, RangeError, /options\.payloadTypes\[1\]/],
      [{ expectedSsrcs: [-1] }, RangeError, /options\.expectedSsrcs\[0\]/],
      [{ maxPacketBytes: 4 }, RangeError, /options\.maxPacketBytes/],
      [{ portRange: { min: 5001, max: 5002 } }, RangeError, /options\.portRange/],
      [{ expectedSource: { address: '::1' } }, TypeError, /options\.expectedSource\.address/],
      [{ expectedSource: { address: '127.0.0.1', port: 0 } }, RangeError, /expectedSource\.port/],
      [{ sink: {} as RecordingSink }, TypeError, /options\.sink/],
    ];
    for (const [options, type, message] of cases) {
      const error: unknown = await UdpTrackEndpoint.open({ sink, ...options }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(type);
      expect((error as Error).message).toMatch(message);
    }
  });

  it('leaves a frozen options object untouched', async () => {
    const options = Object.freeze({
      sink: new RecordingSink(),
      payloadTypes: Object.freeze([111]),
      expectedSource: Object.freeze({ address: '127.0.0.1' }),
    });
    const endpoint = await UdpTrackEndpoint.open(options);
    await endpoint.close();
    expect(options).toEqual({
      sink: options.sink,
      payloadTypes: [111],
      expectedSource: { address: '127.0.0.1' },
    });
  });

  it('rejects with the reason of a signal aborted before open()', async () => {
    const reason = new Error('stop');
    await expect(
      UdpTrackEndpoint.open({ sink: new RecordingSink(), signal: AbortSignal.abort(reason) }),
    ).rejects.toBe(reason);
  });

  it('closes the endpoint and frees its ports when the signal aborts later', async () => {
    const controller = new AbortController();
    const { endpoint } = await openEndpoint({ signal: controller.signal });
    controller.abort();
    expect(endpoint.closed).toBe(true);
    await endpoint.close();
    expect(await isPortFree(endpoint.rtp.port)).toBe(true);
    expect(await isPortFree(endpoint.rtcp.port)).toBe(true);
  });
});

describe('UdpTrackEndpoint delivery', () => {
  it('hands each RTP datagram to the sink byte for byte, in order, stamped with Date.now()', async () => {
    const { endpoint, sink } = await openEndpoint();
    const from = await sender();
    const sent = Array.from({ length: 50 }, (_, i) => rtp({ tag: i }));
    const before = Date.now();
    for (const packet of sent) await from.send(packet, endpoint.rtp.port);
    await sink.waitFor((p) => tagOf(p.packet) === 49);
    const after = Date.now();

    expect(sink.pushed.map((p) => Array.from(p.packet))).toEqual(sent.map((b) => Array.from(b)));
    // Plain Uint8Array views, each over its own memory: the sink may keep them.
    expect(sink.pushed.every((p) => Object.getPrototypeOf(p.packet) === Uint8Array.prototype)).toBe(
      true,
    );
    expect(new Set(sink.pushed.map((p) => p.packet.buffer)).size).toBe(50);
    expect(sink.pushed.every((p) => !p.isRtcp)).toBe(true);
    const times = sink.pushed.map((p) => p.arrivalMs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times[0]!).toBeGreaterThanOrEqual(before);
    expect(times.at(-1)!).toBeLessThanOrEqual(after);
    expect(endpoint.source).toEqual({ address: '127.0.0.1', port: from.port, rtcpPort: undefined });
    expect(endpoint.stats).toMatchObject({ received: 50, accepted: 50, rtcp: 0 });
  });

  it('delivers RTCP from the sender on the RTCP port flagged as RTCP, and latches its RTCP port', async () => {
    const { endpoint, sink } = await openEndpoint();
    const media = await sender();
    const control = await sender();
    await sentinel(sink, media, endpoint.rtp.port, 1);
    await control.send(sr(7), endpoint.rtcp.port);
    await sink.waitFor((p) => p.isRtcp);
    expect(sink.rtcp.map((p) => srTagOf(p.packet))).toEqual([7]);
    expect(endpoint.source).toEqual({
      address: '127.0.0.1',
      port: media.port,
      rtcpPort: control.port,
    });
    expect(endpoint.stats).toMatchObject({ accepted: 2, rtcp: 1 });
  });

  it('with rtcpMux (the default) delivers RTCP sent to the RTP port as RTCP', async () => {
    const { endpoint, sink } = await openEndpoint();
    const media = await sender();
    await sentinel(sink, media, endpoint.rtp.port, 1);
    await media.send(sr(3), endpoint.rtp.port);
    await sentinel(sink, media, endpoint.rtp.port, 2);
    expect(sink.pushed.map((p) => p.isRtcp)).toEqual([false, true, false]);
    expect(srTagOf(sink.pushed[1]!.packet)).toBe(3);
    expect(endpoint.stats).toMatchObject({ accepted: 3, rtcp: 1 });
  });

  it('without rtcpMux treats an RTCP packet on the RTP port as RTP (here dropped for its payload type 72)', async () => {
    const { endpoint, sink } = await openEndpoint({ rtcpMux: false, payloadTypes: [111] });
    const media = await sender();
    await sentinel(sink, media, endpoint.rtp.port, 1);
    await media.send(sr(3), endpoint.rtp.port);
    await sentinel(sink, media, endpoint.rtp.port, 2);
    expect(sink.rtcp).toEqual([]);
    expect(endpoint.stats).toMatchObject({ accepted: 2, rtcp: 0, droppedPayloadType: 1 });
  });

  it('holds RTCP that arrives before the first RTP packet and delivers it first, with its own arrival time', async () => {
    const { endpoint, sink } = await openEndpoint();
    const media = await sender();
    const control = await sender();
    await control.send(sr(5), endpoint.rtcp.port);
    await vi.waitFor(() => expect(endpoint.stats.pendingRtcp).toBe(1));
    expect(sink.pushed).toEqual([]);
    expect(endpoint.source).toBeUndefined();

    await sentinel(sink, media, endpoint.rtp.port, 1);
    expect(sink.pushed.map((p) => p.isRtcp)).toEqual([true, false]);
    expect(srTagOf(sink.pushed[0]!.packet)).toBe(5);
    expect(sink.pushed[0]!.arrivalMs).toBeLessThanOrEqual(sink.pushed[1]!.arrivalMs);
    expect(endpoint.source?.rtcpPort).toBe(control.port);
    expect(endpoint.stats).toMatchObject({ pendingRtcp: 0, accepted: 2, rtcp: 1 });
    expectBalanced(endpoint.stats);
  });

  it('keeps only the 16 newest RTCP packets while no RTP sender is known, counting the rest', async () => {
    const { endpoint, sink } = await openEndpoint();
    const media = await sender();
    for (let i = 0; i < 20; i++) await media.send(sr(i), endpoint.rtcp.port);
    await vi.waitFor(() => expect(endpoint.stats.received).toBe(20));
    expect(endpoint.stats).toMatchObject({ pendingRtcp: 16, droppedUnclaimedRtcp: 4 });
    await sentinel(sink, media, endpoint.rtp.port, 1);
    expect(sink.rtcp.map((p) => srTagOf(p.packet))).toEqual(
      Array.from({ length: 16 }, (_, i) => i + 4),
    );
    expectBalanced(endpoint.stats);
  });

  it('discards and counts held RTCP when closed before any RTP arrived', async () => {
    const { endpoint, sink } = await openEndpoint();
    const control = await sender();
    await control.send(sr(1), endpoint.rtcp.port);
    await vi.waitFor(() => expect(endpoint.stats.pendingRtcp).toBe(1));
    await endpoint.close();
    expect(sink.pushed).toEqual([]);
    expect(endpoint.stats).toMatchObject({ pendingRtcp: 0, droppedOnClose: 1 });
    expectBalanced(endpoint.stats);
  });
});

describe('UdpTrackEndpoint filtering', () => {
  it('after latching the first sender, drops valid RTP and RTCP from its other ports as foreign', async () => {
    const { endpoint, sink } = await openEndpoint();
    const media = await sender();
    const control = await sender();
    const intruder = await sender();
    await sentinel(sink, media, endpoint.rtp.port, 1);
    for (let i = 0; i < 5; i++) await intruder.send(rtp({ tag: 100 + i }), endpoint.rtp.port);
    await control.send(sr(1), endpoint.rtcp.port); // latches the RTCP source port
    await sink.waitFor((p) => p.isRtcp);
    await intruder.send(sr(2), endpoint.rtcp.port);
    await intruder.send(sr(3), endpoint.rtp.port);
    await sentinel(sink, media, endpoint.rtp.port, 2);
    await control.send(sr(4), endpoint.rtcp.port);
    await sink.waitFor((p) => p.isRtcp && srTagOf(p.packet) === 4);

    expect(sink.rtp.map((p) => tagOf(p.packet))).toEqual([1, 2]);
    expect(sink.rtcp.map((p) => srTagOf(p.packet))).toEqual([1, 4]);
    expect(endpoint.stats.droppedForeignSource).toBe(7);
    expect(endpoint.source).toEqual({
      address: '127.0.0.1',
      port: media.port,
      rtcpPort: control.port,
    });
    expectBalanced(endpoint.stats);
  });

  it('a sender whose first RTCP comes from its RTP port gets no second RTCP port', async () => {
    const { endpoint, sink } = await openEndpoint();
    const media = await sender();
    const intruder = await sender();
    await sentinel(sink, media, endpoint.rtp.port, 1);
    await media.send(sr(1), endpoint.rtcp.port);
    await sink.waitFor((p) => p.isRtcp);
    await intruder.send(sr(2), endpoint.rtcp.port);
    await media.send(sr(3), endpoint.rtcp.port);
    await sink.waitFor((p) => p.isRtcp && srTagOf(p.packet) === 3);
    expect(sink.rtcp.map((p) => srTagOf(p.packet))).toEqual([1, 3]);
    expect(endpoint.stats.droppedForeignSource).toBe(1);
    expect(endpoint.source?.rtcpPort).toBe(media.port);
  });

  it('counts garbage datagrams as malformed, and they latch nothing', async () => {
    const { endpoint, sink } = await openEndpoint();
    const noise = await sender();
    const media = await sender();
    for (const [, bytes] of MALFORMED) await noise.send(bytes, endpoint.rtp.port);
    for (const [, bytes] of MALFORMED) await noise.send(bytes, endpoint.rtcp.port);
    await noise.send(rtp({ tag: 50 }), endpoint.rtcp.port); // RTP on the RTCP port
    await vi.waitFor(() => expect(endpoint.stats.received).toBe(2 * MALFORMED.length + 1));
    await sentinel(sink, media, endpoint.rtp.port, 1);

    expect(sink.pushed).toHaveLength(1);
    expect(endpoint.stats.droppedMalformed).toBe(2 * MALFORMED.length + 1);
    expect(endpoint.source?.port).toBe(media.port);
    expectBalanced(endpoint.stats);
  });

  it('drops RTP whose payload type is not in payloadTypes, and such a packet latches nothing', async () => {
    const { endpoint, sink } = await openEndpoint({ payloadTypes: [111, 96] });
    const other = await sender();
    const media = await sender();
    await other.send(rtp({ payloadType: 0, tag: 9 }), endpoint.rtp.port);
    await vi.waitFor(() => expect(endpoint.stats.received).toBe(1));
    await sentinel(sink, media, endpoint.rtp.port, 1);
    await media.send(rtp({ payloadType: 97, tag: 2 }), endpoint.rtp.port);
    await media.send(rtp({ payloadType: 96, tag: 3 }), endpoint.rtp.port);
    await sink.waitFor((p) => tagOf(p.packet) === 3);
    expect(sink.rtp.map((p) => tagOf(p.packet))).toEqual([1, 3]);
    expect(endpoint.stats.droppedPayloadType).toBe(2);
    expect(endpoint.source?.port).toBe(media.port);
    expectBalanced(endpoint.stats);
  });

  it('drops RTP whose SSRC is not in expectedSsrcs', async () => {
    const { endpoint, sink } = await openEndpoint({ expectedSsrcs: [0x1234_5678] });
    const media = await sender();
    await media.send(rtp({ ssrc: 0xdead_beef, tag: 1 }), endpoint.rtp.port);
    await sentinel(sink, media, endpoint.rtp.port, 2);
    expect(sink.rtp.map((p) => tagOf(p.packet))).toEqual([2]);
    expect(endpoint.stats.droppedSsrc).toBe(1);
  });

  it('drops datagrams longer than maxPacketBytes and accepts one of exactly that size', async () => {
    const { endpoint, sink } = await openEndpoint({ maxPacketBytes: 100 });
    const media = await sender();
    const big = (size: number, tag: number): Uint8Array => {
      const packet = rtp({ tag });
      const out = new Uint8Array(size);
      out.set(packet);
      return out;
    };
    await media.send(big(101, 1), endpoint.rtp.port);
    await media.send(big(100, 2), endpoint.rtp.port);
    await sink.waitFor((p) => tagOf(p.packet) === 2);
    expect(sink.pushed.map((p) => p.packet.byteLength)).toEqual([100]);
    expect(endpoint.stats.droppedOversize).toBe(1);
  });

  it('with expectedSource { address, port } drops every other sender, even before the first packet', async () => {
    const media = await sender();
    const { endpoint, sink } = await openEndpoint({
      expectedSource: { address: '127.0.0.1', port: media.port },
    });
    const early = await sender();
    await early.send(rtp({ tag: 1 }), endpoint.rtp.port);
    await sentinel(sink, media, endpoint.rtp.port, 2);
    expect(sink.rtp.map((p) => tagOf(p.packet))).toEqual([2]);
    expect(endpoint.stats.droppedForeignSource).toBe(1);
  });

  it('with expectedSource { address } drops senders from any other address', async () => {
    // Tests only ever bind 127.0.0.1, so the expected address is one nothing sends from.
    const { endpoint, sink } = await openEndpoint({ expectedSource: { address: '127.0.0.9' } });
    const media = await sender();
    await media.send(rtp({ tag: 1 }), endpoint.rtp.port);
    await media.send(rtp({ tag: 2 }), endpoint.rtp.port);
    await vi.waitFor(() => expect(endpoint.stats.droppedForeignSource).toBe(2));
    expect(sink.rtp).toEqual([]);
    expect(endpoint.source).toBeUndefined();
  });

  it('with expectedSource.rtcpPort accepts RTCP only from the RTP port and that port', async () => {
    const media = await sender();
    const control = await sender();
    const other = await sender();
    const { endpoint, sink } = await openEndpoint({
      expectedSource: { address: '127.0.0.1', port: media.port, rtcpPort: control.port },
    });
    await other.send(sr(1), endpoint.rtcp.port);
    await control.send(sr(2), endpoint.rtcp.port);
    await sink.waitFor((p) => p.isRtcp && srTagOf(p.packet) === 2);
    await media.send(sr(3), endpoint.rtp.port);
    await sink.waitFor((p) => p.isRtcp && srTagOf(p.packet) === 3);
    expect(sink.rtcp.map((p) => srTagOf(p.packet))).toEqual([2, 3]);
    expect(endpoint.stats.droppedForeignSource).toBe(1);
  });
});

describe('UdpTrackEndpoint close() and failures', () => {
  it('close() twice returns one promise that resolves with both ports freed', async () => {
    const { endpoint } = await openEndpoint();
    const first = endpoint.close();
    const second = endpoint.close();
    expect(second).toBe(first);
    await first;
    await endpoint.close();
    expect(endpoint.closed).toBe(true);
    expect(await isPortFree(endpoint.rtp.port)).toBe(true);
    expect(await isPortFree(endpoint.rtcp.port)).toBe(true);
  });

  it('delivers nothing after close(), not even datagrams already read from the socket', async () => {
    const { endpoint, sink } = await openEndpoint();
    const media = await sender();
    let closing: Promise<void> | undefined;
    sink.onPush = () => {
      if (sink.pushed.length === 3) closing = endpoint.close();
    };
    for (let i = 0; i < 20; i++) await media.send(rtp({ tag: i }), endpoint.rtp.port);
    await sink.waitFor(() => true);
    await vi.waitFor(() => expect(closing).toBeDefined());
    await closing;
    await media.send(rtp({ tag: 99 }), endpoint.rtp.port);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sink.pushed.map((p) => tagOf(p.packet))).toEqual([0, 1, 2]);
    expect(endpoint.stats.accepted).toBe(3);
  });

  it('a sink that closes the endpoint while held RTCP is released receives nothing more', async () => {
    const { endpoint, sink } = await openEndpoint();
    const media = await sender();
    for (let i = 0; i < 3; i++) await media.send(sr(i), endpoint.rtcp.port);
    await vi.waitFor(() => expect(endpoint.stats.pendingRtcp).toBe(3));
    let closing: Promise<void> | undefined;
    sink.onPush = () => {
      closing ??= endpoint.close();
    };
    await media.send(rtp({ tag: 1 }), endpoint.rtp.port);
    await vi.waitFor(() => expect(closing).toBeDefined());
    await closing;
    expect(sink.pushed.map((p) => [p.isRtcp, srTagOf(p.packet)])).toEqual([[true, 0]]);
    // Two held SRs and the RTP packet that released them were in hand when the sink closed.
    expect(endpoint.stats).toMatchObject({ received: 4, accepted: 1, droppedOnClose: 3 });
    expectBalanced(endpoint.stats);
  });

  it('survives a sink that throws: the packet is counted accepted, the error reported, delivery goes on', async () => {
    const errors: unknown[] = [];
    const { endpoint, sink } = await openEndpoint({
      onError: (error) => {
        errors.push(error);
        throw new Error('and the error callback throws too');
      },
    });
    const media = await sender();
    sink.onPush = (p) => {
      if (tagOf(p.packet) % 2 === 0) throw new Error(`sink failed on ${tagOf(p.packet)}`);
    };
    for (let i = 0; i < 10; i++) await media.send(rtp({ tag: i }), endpoint.rtp.port);
    await sink.waitFor((p) => tagOf(p.packet) === 9);
    expect(sink.pushed).toHaveLength(10);
    expect(errors.map((e) => (e as Error).message)).toEqual(
      [0, 2, 4, 6, 8].map((i) => `sink failed on ${i}`),
    );
    expect(endpoint.stats).toMatchObject({ accepted: 10, sinkErrors: 5 });
    expectBalanced(endpoint.stats);
  });
});
