/**
 * A part that receives no media while the recording goes on (nobody spoke for a whole
 * part) has no archive: it is reported with `call.recording_failed` naming its part and
 * NO_TRACKS, never announced ready, and the recording is ready with the parts that hold
 * media. Parts last 2 s here (TAPEDECK_PART_SECONDS).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TapedeckClient } from '../../packages/client/src/index.js';
import { syntheticOpusSender } from '../helpers/synthetic-opus.js';
import { OPUS_SDP, startTestService, type TestService } from './support.js';

let t: TestService;
let client: TapedeckClient;

beforeAll(async () => {
  t = await startTestService({ TAPEDECK_PART_SECONDS: '2' });
  client = new TapedeckClient({ baseUrl: t.service.url, apiSecret: t.secret });
  await client.updateCallType('default', { settings: { raw_recording: { mode: 'available' } } });
});

afterAll(async () => {
  await t?.stop();
});

async function partCount(id: string): Promise<number> {
  return (await client.getRecording(id)).recording.parts.length;
}

async function untilParts(id: string, n: number): Promise<void> {
  while ((await partCount(id)) < n) await new Promise((r) => setTimeout(r, 25));
}

describe('a silent part', () => {
  it('is reported failed with NO_TRACKS, never ready, and the recording keeps the parts with media', async () => {
    const call = client.call('default', 'quiet-middle');
    await call.getOrCreate();
    const track = await call.addRtpTrack({
      user_id: 'u',
      session_id: 's',
      track_type: 'audio',
      sdp: OPUS_SDP,
    });
    const { recording } = await call.startRecording('raw');
    const sender = syntheticOpusSender({ host: track.rtp.host, port: track.rtp.port });
    await sender.send(25); // part 1
    await untilParts(recording.id, 3); // part 2 passes in silence
    await sender.send(25); // part 3
    await new Promise((r) => setTimeout(r, 100));
    await call.stopRecording('raw');
    sender.close();
    let status = '';
    while (status !== 'ready' && status !== 'failed') {
      await new Promise((r) => setTimeout(r, 50));
      status = (await client.getRecording(recording.id)).recording.status;
    }
    const { recording: done } = await client.getRecording(recording.id);
    expect(done.status).toBe('ready');
    expect(done.parts.map((p) => [p.part_number, p.status])).toEqual([
      [1, 'ready'],
      [2, 'failed'],
      [3, 'ready'],
    ]);
    expect(done.files.map((f) => f.part_number)).toEqual([1, 3]);
    const { events } = await call.listEvents();
    const ready = events
      .filter((e) => e.type === 'call.recording_ready')
      .map((e) => e.payload['part_number']);
    expect(ready).toEqual([1, 3]);
    const failed = events.filter((e) => e.type === 'call.recording_failed');
    expect(
      failed.map((e) => [e.payload['part_number'], String(e.payload['reason']).split(':')[0]]),
    ).toEqual([[2, 'NO_TRACKS']]);
  });

  it('a recording that never received media fails with NO_TRACKS and announces nothing ready', async () => {
    const call = client.call('default', 'silent');
    await call.getOrCreate();
    await call.addRtpTrack({ user_id: 'u', session_id: 's', track_type: 'audio', sdp: OPUS_SDP });
    const { recording } = await call.startRecording('raw');
    await call.stopRecording('raw');
    let done = (await client.getRecording(recording.id)).recording;
    while (done.status !== 'ready' && done.status !== 'failed') {
      await new Promise((r) => setTimeout(r, 50));
      done = (await client.getRecording(recording.id)).recording;
    }
    expect([done.status, done.error?.code]).toEqual(['failed', 'NO_TRACKS']);
    const { events } = await call.listEvents();
    expect(events.some((e) => e.type === 'call.recording_ready')).toBe(false);
  });
});
