import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadCallModel } from '../../../src/archive/call-model.js';
import { openArchiveInput } from '../../../src/archive/reader/open-input.js';
import { CallPartRecorder } from '../../../src/ingest/recorder/index.js';
import { encodeRtpdumpPreamble } from '../../../src/rtpdump/core/rtpdump-encode.js';
import { TapedeckError } from '../../../src/errors.js';
import { parseSdp, resolveCodec } from '../../../src/sdp/index.js';
import { readSegment } from '../../helpers/read-segment.js';
import { removeDir, rtp, tempDir } from './synthetic-packets.js';

let dir: string;
let root: string;
const T0 = 1_714_557_600_000;

beforeEach(async () => {
  dir = await tempDir();
  root = path.join(dir, 'part');
});
afterEach(async () => {
  vi.useRealTimers();
  await removeDir(dir);
});

function openPart(extra: { flushIntervalMs?: number } = {}): Promise<CallPartRecorder> {
  return CallPartRecorder.open({
    root,
    callType: 'default',
    callId: 'c1',
    callSessionId: 'cs1',
    callStartMs: T0,
    part: 2,
    ...extra,
  });
}

/** Resolves once `check` returns true (real timers; I/O only, no timing threshold). */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 5));
}

const sizeOf = (file: string): Promise<number> =>
  stat(file).then(
    (s) => s.size,
    () => -1,
  );

describe('CallPartRecorder', () => {
  it('hands buffered records to the OS on the flush timer, without close(): the file on disk holds them', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const part = await openPart();
    const mic = part.track('alice', 's1', {
      trackId: 'mic',
      kind: 'audio',
      codec: { name: 'opus', payloadType: 111 },
      endpoint: { address: '10.0.0.1', port: 40000 },
    });
    const packets = Array.from({ length: 50 }, (_, i) => rtp({ ssrc: 5, seq: i, ts: i * 960 }));
    packets.forEach((p, i) => mic.push(p, T0 + 20 * i, false));
    const file = path.join(root, 'alice', 's1', 'audio_1.rtpdump');
    await until(async () => (await sizeOf(file)) === 0); // created, everything still buffered
    const expected =
      encodeRtpdumpPreamble({ address: '10.0.0.1', port: 40000, startSeconds: 0 }).byteLength +
      packets.reduce((n, p) => n + 8 + p.byteLength, 0);
    expect(await sizeOf(file)).toBe(0);
    vi.advanceTimersByTime(1000);
    await until(async () => (await sizeOf(file)) === expected);
    const seg = await readSegment(file);
    expect(seg.rtp.map((r) => r.packet.sequenceNumber)).toEqual(packets.map((_, i) => i));
    expect(seg.header).toMatchObject({ address: '10.0.0.1', port: 40000 });
    await part.close();
  });

  it('finalize() closes everything and writes the ZIP: every file, manifest.json last, readable by the toolkit', async () => {
    const part = await openPart();
    part
      .track('alice', 's1', {
        trackId: 'mic',
        kind: 'audio',
        codec: { name: 'opus', payloadType: 111 },
      })
      .push(rtp({ ssrc: 1, seq: 1, ts: 0 }), T0 + 5, false);
    part
      .track('bob', 's2', {
        trackId: 'mic',
        kind: 'audio',
        codec: { name: 'opus', payloadType: 111 },
      })
      .push(rtp({ ssrc: 2, seq: 1, ts: 0 }), T0 + 7, false);
    const zip = path.join(dir, 'c1-part2.zip');
    const result = await part.finalize(zip);
    expect(await part.finalize(zip)).toBe(result);
    expect(() => part.finalize(path.join(dir, 'other.zip'))).toThrow(TypeError);
    expect(result.path).toBe(zip);
    expect(result.bytes).toBe((await stat(zip)).size);
    expect(result.interrupted).toBe(false);
    expect(result.files.map((f) => f.path)).toEqual([
      'alice/s1/audio_1.rtpdump',
      'alice/s1/audio_1.sdp',
      'alice/s1/timing_metadata.json',
      'bob/s2/audio_1.rtpdump',
      'bob/s2/audio_1.sdp',
      'bob/s2/timing_metadata.json',
      'recording_state.json',
      'manifest.json',
    ]);
    for (const f of result.files.slice(0, -1))
      expect(f.size, f.path).toBe((await stat(path.join(root, f.path))).size);
    const state = JSON.parse(await readFile(path.join(root, 'recording_state.json'), 'utf8'));
    expect(state).toMatchObject({
      state: 'closed',
      part: 2,
      call_id: 'c1',
      call_start_time: new Date(T0).toISOString(),
    });

    const archive = await openArchiveInput({ file: zip }, {});
    try {
      const model = await loadCallModel(archive.root, { verifyManifest: true });
      expect(model.tracks.map((t) => [t.userId, t.trackId, t.segments.length])).toEqual([
        ['alice', 'mic', 1],
        ['bob', 'mic', 1],
      ]);
    } finally {
      await archive.cleanup();
    }
  });

  it('a negotiated SDP gives the segment its m= section: the codec payload type first, RTX kept, transport lines and other SSRCs dropped', async () => {
    const offer = [
      'v=0',
      'o=- 1 2 IN IP4 127.0.0.1',
      's=-',
      't=0 0',
      'a=group:BUNDLE 0 1',
      'm=audio 9 UDP/TLS/RTP/SAVPF 111',
      'c=IN IP4 0.0.0.0',
      'a=mid:0',
      'a=rtpmap:111 opus/48000/2',
      'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103',
      'c=IN IP4 0.0.0.0',
      'a=mid:1',
      'a=ice-ufrag:abcd',
      'a=fingerprint:sha-256 00:11',
      'a=candidate:1 1 udp 2122260223 192.168.1.2 54321 typ host',
      'a=rtpmap:96 VP8/90000',
      'a=rtpmap:97 rtx/90000',
      'a=fmtp:97 apt=96',
      'a=rtpmap:102 H264/90000',
      'a=fmtp:102 packetization-mode=1;profile-level-id=42e01f',
      'a=rtpmap:103 rtx/90000',
      'a=fmtp:103 apt=102',
      'a=rtcp-fb:102 nack pli',
      'a=extmap:3 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
      'a=ssrc:99 cname:x',
      '',
    ].join('\r\n');
    const part = await openPart();
    const cam = part.track('alice', 's1', {
      trackId: 'cam',
      kind: 'video',
      codec: { name: 'H264', payloadType: 102 },
      sdpText: offer,
    });
    cam.push(rtp({ ssrc: 0x77, seq: 1, ts: 0, pt: 102, payload: [0x65, 0x88] }), T0, false);
    await part.close();
    const text = await readFile(path.join(root, 'alice', 's1', 'video_1.sdp'), 'utf8');
    const media = parseSdp(text).media;
    expect(media).toHaveLength(1);
    const codec = resolveCodec(media[0]!);
    expect([codec.mimeType, codec.payloadType, [...codec.rtx]]).toEqual([
      'video/H264',
      102,
      [[103, 102]],
    ]);
    expect(text).toContain('a=rtcp-fb:102 nack pli');
    expect(text).toContain('a=extmap:3 ');
    expect(text).toContain('a=x-tapedeck-track-id:cam');
    expect(text).not.toMatch(/ice-ufrag|fingerprint|candidate|ssrc:99/);
    expect(media[0]!.ssrcs.map((s) => s.ssrc)).toEqual([0x77]);
  });

  it('rejects bad options naming them, a folder already in use, and a ZIP inside the part folder', async () => {
    const part = await openPart();
    const opus = { name: 'opus', payloadType: 111 };
    expect(() => part.track('..', 's', { trackId: 't', kind: 'audio', codec: opus })).toThrow(
      /userId/,
    );
    expect(() => part.track('u', 'a/b', { trackId: 't', kind: 'audio', codec: opus })).toThrow(
      /sessionId/,
    );
    expect(() => part.track('u', 's', { trackId: 'bad\nid', kind: 'audio', codec: opus })).toThrow(
      /options.trackId/,
    );
    expect(() =>
      part.track('u', 's', {
        trackId: 't',
        kind: 'audio',
        codec: { name: 'PCMU', payloadType: 0, clockRate: 8000 },
      }),
    ).toThrow(
      /options.codec must be opus \(audio\) or VP8, VP9, H264, AV1 \(video\) for an audio track, got audio\/PCMU/,
    );
    expect(() => part.track('u', 's', { trackId: 't', kind: 'video', codec: opus })).toThrow(
      /options.codec: no supported codec in m=video/,
    );
    expect(() =>
      part.track('u', 's', {
        trackId: 't',
        kind: 'audio',
        codec: opus,
        endpoint: { address: '::1', port: 5 },
      }),
    ).toThrow(/options.endpoint.address/);
    expect(() =>
      part.track('u', 's', {
        trackId: 't',
        kind: 'audio',
        codec: opus,
        sdpText: 'v=0\r\nm=audio 9 RTP/AVP 0\r\n',
      }),
    ).toThrow(/options.sdpText has no m=audio section listing payload type 111/);
    part.track('u', 's', { trackId: 't', kind: 'audio', codec: opus });
    expect(() =>
      part.track('u', 's', {
        trackId: 't',
        kind: 'video',
        codec: { name: 'VP8', payloadType: 96 },
      }),
    ).toThrow(/track t is audio/);
    await expect(part.finalize(path.join(root, 'inside.zip'))).rejects.toThrow(
      /outside the part folder/,
    );
    await expect(openPart()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(
      CallPartRecorder.open({
        root: path.join(dir, 'p2'),
        callType: 'd',
        callId: 'c',
        callSessionId: 's',
        callStartMs: 1.5,
      }),
    ).rejects.toThrow(/options.callStartMs/);
    await mkdir(path.join(dir, 'p3'));
    await writeFile(path.join(dir, 'p3', 'x'), '');
    await expect(
      CallPartRecorder.open({
        root: path.join(dir, 'p3'),
        callType: 'd',
        callId: 'c',
        callSessionId: 's',
        callStartMs: 1,
      }),
    ).rejects.toBeInstanceOf(TapedeckError);
    await part.close();
    expect(() => part.session('u', 'other')).toThrow(TypeError);
  });
});
