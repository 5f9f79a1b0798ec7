/**
 * What ingest counts per packet, as plain numbers (no prom-client call per packet): the
 * metrics' collectors read it when /metrics is scraped (see metrics.ts).
 */
import { emptyRecorderTally, type RecorderTally } from '../ingest/recorder/index.js';
import type { UdpEndpointStats } from '../ingest/udp/index.js';

/** Why ingest dropped a packet (label `reason` of tapedeck_packets_dropped_total). */
export type DropReason =
  // the track is not being recorded / video under audio_only
  | 'not_recording'
  | 'audio_only'
  // UDP endpoint (see udp-track-endpoint.ts)
  | 'unexpected_source'
  | 'oversize'
  | 'malformed'
  | 'payload_type'
  | 'ssrc'
  | 'unclaimed_rtcp'
  | 'closed'
  // recorder (see TrackRecorderStats)
  | 'stale'
  | 'unassigned'
  | 'write_failed';

/** An UDP endpoint whose counters the tally reads at scrape time (an RtpTrack). */
export type UdpStatsSource = { readonly stats: UdpEndpointStats };

/**
 * Plain counters the ingest hot path adds to; `collect()` publishes them. RTP tracks
 * `watch()` their endpoint (its `received`/`dropped*` counters are read at scrape time)
 * and `retire()` it when closed (its last counts are kept).
 */
export class IngestTally {
  /** Packets WHIP delivered (RTP tracks' come from their endpoints' stats). */
  whipRtp = 0;
  whipRtcp = 0;
  /** Packets a track dropped because nothing recorded it. */
  notRecording = 0;
  audioOnly = 0;
  /** What every recorder wrote or dropped (TrackRecorderOptions.tally). */
  readonly recorder: RecorderTally = emptyRecorderTally();
  readonly #live = new Set<UdpStatsSource>();
  #retired: UdpEndpointStats | undefined;

  watch(source: UdpStatsSource): void {
    this.#live.add(source);
  }

  retire(source: UdpStatsSource): void {
    if (!this.#live.delete(source)) return;
    this.#retired = addStats(this.#retired, source.stats);
  }

  /** Every watched endpoint's counters, summed (retired ones included). */
  udpStats(): UdpEndpointStats | undefined {
    let sum = this.#retired;
    for (const source of this.#live) sum = addStats(sum, source.stats);
    return sum;
  }
}

function addStats(a: UdpEndpointStats | undefined, b: UdpEndpointStats): UdpEndpointStats {
  if (a === undefined) return { ...b };
  const out: Record<string, number> = { ...a };
  for (const [key, value] of Object.entries(b)) out[key] = (out[key] ?? 0) + value;
  return out as UdpEndpointStats;
}
