import { describe, expect, it } from 'vitest';
import type { CallModel, Track } from '../../src/archive/types.js';
import { renderTrackList } from '../../src/raw/list-tracks.js';
import { mergeByTime } from '../../src/raw/merge-by-time.js';
import { compositeAudioFileName, individualFileName } from '../../src/raw/naming.js';
import { pairTracks } from '../../src/raw/pairs.js';
import { runBounded } from '../../src/raw/run-bounded.js';

function track(userId: string, sessionId: string, trackId: string, kind: 'audio' | 'video', screenshare = false): Track {
  return {
    callType: 'default',
    callId: 'call1',
    callSessionId: 'cs1',
    callStartMs: 1_700_000_000_000,
    userId,
    sessionId,
    trackId,
    kind,
    trackType: screenshare
      ? kind === 'audio'
        ? 'TRACK_TYPE_SCREEN_SHARE_AUDIO'
        : 'TRACK_TYPE_SCREEN_SHARE'
      : kind === 'audio'
        ? 'TRACK_TYPE_AUDIO'
        : 'TRACK_TYPE_VIDEO',
    isScreenshare: screenshare,
    codec: kind === 'audio' ? 'audio/opus' : 'video/VP8',
    segments: [],
  };
}

const model = (tracks: Track[]): CallModel => ({ callType: 'default', callId: 'call1', callStartMs: 1_700_000_000_000, tracks });

describe('output names', () => {
  it('individualFileName() follows the reference tool and adds the track id only when a session has two tracks of a kind', () => {
    const a = track('alice', 's1', 'ta', 'audio');
    const v1 = track('alice', 's1', 'tv1', 'video');
    const v2 = track('alice', 's1', 'tv2', 'video');
    const ss = track('alice', 's1', 'tss', 'video', true);
    const m = model([a, v1, v2, ss]);
    expect(individualFileName(m, a, 'audio_only', 'mkv')).toBe('individual_default_call1_alice_s1_audio_only_1700000000000.mkv');
    expect(individualFileName(m, v1, 'video_only', 'mkv')).toBe('individual_default_call1_alice_s1_video_only_tv1_1700000000000.mkv');
    expect(individualFileName(m, ss, 'video_only', 'webm')).toBe('individual_default_call1_alice_s1_shared_video_only_1700000000000.webm');
    expect(compositeAudioFileName(m, 'mp3')).toBe('composite_default_call1_audio_1700000000000.mp3');
  });

  it('individualFileName() cannot be steered outside the output directory by ids', () => {
    const evil = track('../../etc', 's/1', 't', 'audio');
    expect(individualFileName(model([evil]), evil, 'audio_only', 'mkv')).not.toMatch(/[/\\]/);
  });
});

describe('pairs and listing', () => {
  it('pairTracks() pairs mic with camera and screenshare audio with screenshare, per session', () => {
    const tracks = [
      track('alice', 's1', 'a', 'audio'),
      track('alice', 's1', 'v', 'video'),
      track('alice', 's1', 'sa', 'audio', true),
      track('alice', 's1', 'sv', 'video', true),
      track('bob', 's2', 'ba', 'audio'),
    ];
    const m = model(tracks);
    expect(pairTracks(m, tracks, 'both').map((p) => [p.audio.trackId, p.video.trackId])).toEqual([
      ['a', 'v'],
      ['sa', 'sv'],
    ]);
    expect(pairTracks(m, tracks, 'display').map((p) => p.video.trackId)).toEqual(['sv']);
    expect(pairTracks(m, [tracks[1] as Track], 'both')).toHaveLength(1);
  });

  it('renderTrackList() prints the table with a dashes row, and "No tracks found." when empty', () => {
    const m = model([track('alice', 's1', 'a', 'audio', false)]);
    const table = renderTrackList(m, m.tracks, 'table').split('\n');
    expect(table[0]).toMatch(/^USER ID\s+SESSION ID\s+TRACK ID\s+TYPE\s+SCREENSHARE\s+CODEC\s+SEGMENTS$/);
    expect(table[1]).toMatch(/^-+( +-+){6}$/);
    expect(table[2]).toMatch(/^alice\s+s1\s+a\s+audio\s+No\s+audio\/opus\s+0$/);
    expect(renderTrackList(m, [], 'table')).toBe('No tracks found.\n');
    expect(renderTrackList(model([track('b', 's', 't', 'audio'), track('a', 's', 't', 'audio')]), [track('b', 's', 't', 'audio'), track('a', 's', 't', 'audio')], 'users')).toBe('a\nb\n');
  });
});

describe('streaming helpers', () => {
  it('mergeByTime() interleaves by time and prefers the earlier input on ties', async () => {
    async function* gen(times: number[]) {
      for (const t of times) yield await Promise.resolve({ timeMs: t });
    }
    const out: [number, number][] = [];
    for await (const { input, item } of mergeByTime([gen([0, 20, 40]), gen([0, 33, 66])])) out.push([input, item.timeMs]);
    expect(out).toEqual([[0, 0], [1, 0], [0, 20], [1, 33], [0, 40], [1, 66]]);
  });

  it('runBounded() keeps the items order and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const results = await runBounded([5, 1, 3, 2, 4], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n));
      running--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 30, 20, 40]);
    expect(peak).toBe(2);
  });
});
