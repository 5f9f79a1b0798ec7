/**
 * A recorder process for the crash test (`node --import tsx record-until-killed.ts <root>
 * <callStartMs>`): opens a call part, records alice's microphone and camera from two UDP
 * port pairs on 127.0.0.1, prints `{"audioPort":…,"videoPort":…}` on one line, then each
 * track's counters every 100 ms, and never closes: the test kills it with SIGKILL.
 */
import { CallPartRecorder } from '../../../../src/ingest/recorder/index.js';
import { listenInto } from '../ffmpeg-sender.js';

const [root, callStart] = process.argv.slice(2);
if (root === undefined || callStart === undefined)
  throw new TypeError('usage: record-until-killed <root> <callStartMs>');
const part = await CallPartRecorder.open({
  root,
  callType: 'default',
  callId: 'crash1',
  callSessionId: 'cs1',
  callStartMs: Number(callStart),
});
const mic = part.track('alice', 's1', {
  trackId: 'mic',
  kind: 'audio',
  codec: { name: 'opus', payloadType: 111 },
});
const cam = part.track('alice', 's1', {
  trackId: 'cam',
  kind: 'video',
  codec: { name: 'VP8', payloadType: 96 },
});
const audio = await listenInto(mic);
const video = await listenInto(cam);
process.stdout.write(`${JSON.stringify({ audioPort: audio.port, videoPort: video.port })}\n`);
setInterval(
  () => process.stdout.write(`${JSON.stringify({ mic: mic.stats, cam: cam.stats })}\n`),
  100,
);
