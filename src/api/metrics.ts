/**
 * The service's Prometheus metrics, on a registry each server owns (so tests and several
 * servers in one process never share counters). Later modules receive `TapedeckMetrics`
 * and update the named instruments.
 *
 * Per-packet counts never touch prom-client on the hot path: ingest adds to plain numbers
 * (`ingest`: an IngestTally), read into the counters when /metrics is scraped.
 *
 * ```
 * UDP endpoint stats (per RTP track) ─┐
 * WHIP/RTP track pushes ──────────────┼─▶ IngestTally ──(scrape: collect())──▶ counters
 * TrackRecorder / SegmentFile tally ──┘
 * delivery worker, webhook dispatcher ──────────────── inc({ outcome }) ────▶ counters
 * ```
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { IngestTally, type DropReason } from './ingest-tally.js';

export { IngestTally, type DropReason, type UdpStatsSource } from './ingest-tally.js';

/** Adds to `counter` (by label) what `totals` gained since the last call. */
function publishDeltas<L extends string>(
  counter: Counter<L>,
  label: L,
  seen: Map<string, number>,
  totals: Readonly<Record<string, number>>,
): void {
  for (const [value, total] of Object.entries(totals)) {
    const delta = total - (seen.get(value) ?? 0);
    if (delta <= 0) continue;
    seen.set(value, total);
    counter.inc({ [label]: value } as Partial<Record<L, string>>, delta);
  }
}

/** Bytes of every file under `dir` (0 when it does not exist). */
async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    try {
      total += (await stat(path.join(entry.parentPath, entry.name))).size;
    } catch {
      // removed meanwhile
    }
  }
  return total;
}

export type CreateMetricsOptions = {
  /** The local spool folder: tapedeck_bytes_spooled is its size at scrape time. */
  readonly spoolDir?: string;
};

export type TapedeckMetrics = {
  readonly registry: Registry;
  /** Recordings currently capturing. */
  readonly activeRecordings: Gauge;
  /** Tracks currently being recorded. */
  readonly tracks: Gauge;
  /** RTP/RTCP packets received by ingest (label `kind`: `rtp` | `rtcp`). */
  readonly packetsReceived: Counter<'kind'>;
  /** Packets written to the spool. */
  readonly packetsWritten: Counter<'kind'>;
  /** Packets dropped (label `reason`, e.g. `unexpected_source`, `not_recording`). */
  readonly packetsDropped: Counter<'reason'>;
  /** Bytes currently held in the local spool. */
  readonly bytesSpooled: Gauge;
  /** Delivery attempts of the delivery worker (label `outcome`: `delivered` | `retry` | `failed`). */
  readonly deliveries: Counter<'outcome'>;
  /** Webhook delivery attempts (label `outcome`: the dispatcher's, e.g. `delivered` | `retry`). */
  readonly webhookAttempts: Counter<'outcome'>;
  /** What ingest counts per packet, published at scrape time. */
  readonly ingest: IngestTally;
  /**
   * A delivery attempt ended: call from the delivery worker, once per attempt
   * (`metrics.recordDelivery('delivered')`; the same as `deliveries.inc({ outcome })`).
   */
  recordDelivery(outcome: DeliveryOutcome): void;
};

/** Label values of tapedeck_deliveries_total. */
export type DeliveryOutcome = 'delivered' | 'retry' | 'failed';

export const METRIC_NAMES = [
  'tapedeck_active_recordings',
  'tapedeck_tracks',
  'tapedeck_packets_received_total',
  'tapedeck_packets_written_total',
  'tapedeck_packets_dropped_total',
  'tapedeck_bytes_spooled',
  'tapedeck_deliveries_total',
  'tapedeck_webhook_attempts_total',
] as const;

/** A fresh registry with Node's default metrics and tapedeck's instruments. */
export function createMetrics(options: CreateMetricsOptions = {}): TapedeckMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const ingest = new IngestTally();
  const seenReceived = new Map<string, number>();
  const seenWritten = new Map<string, number>();
  const seenDropped = new Map<string, number>();
  const { spoolDir } = options;
  const deliveries = new Counter({
    name: 'tapedeck_deliveries_total',
    help: 'delivery jobs finished',
    labelNames: ['outcome'] as const,
    registers,
  });
  return {
    registry,
    ingest,
    recordDelivery: (outcome) => deliveries.inc({ outcome }),
    activeRecordings: new Gauge({
      name: 'tapedeck_active_recordings',
      help: 'recordings currently capturing',
      registers,
    }),
    tracks: new Gauge({
      name: 'tapedeck_tracks',
      help: 'tracks currently being recorded',
      registers,
    }),
    packetsReceived: new Counter({
      name: 'tapedeck_packets_received_total',
      help: 'packets received by ingest (UDP: every datagram read; WHIP: every packet decrypted)',
      labelNames: ['kind'] as const,
      registers,
      collect() {
        const udp = ingest.udpStats();
        publishDeltas(this, 'kind', seenReceived, {
          rtp: ingest.whipRtp + (udp === undefined ? 0 : udp.received - udp.rtcp),
          rtcp: ingest.whipRtcp + (udp?.rtcp ?? 0),
        });
      },
    }),
    packetsWritten: new Counter({
      name: 'tapedeck_packets_written_total',
      help: 'packets written to the spool (rtpdump records)',
      labelNames: ['kind'] as const,
      registers,
      collect() {
        publishDeltas(this, 'kind', seenWritten, {
          rtp: ingest.recorder.rtpWritten,
          rtcp: ingest.recorder.rtcpWritten,
        });
      },
    }),
    packetsDropped: new Counter({
      name: 'tapedeck_packets_dropped_total',
      help: 'packets dropped by ingest',
      labelNames: ['reason'] as const,
      registers,
      collect() {
        const udp = ingest.udpStats();
        const r = ingest.recorder;
        const totals: Record<DropReason, number> = {
          not_recording: ingest.notRecording,
          audio_only: ingest.audioOnly,
          unexpected_source: udp?.droppedForeignSource ?? 0,
          oversize: udp?.droppedOversize ?? 0,
          malformed: (udp?.droppedMalformed ?? 0) + r.droppedMalformed,
          payload_type: udp?.droppedPayloadType ?? 0,
          ssrc: udp?.droppedSsrc ?? 0,
          unclaimed_rtcp: udp?.droppedUnclaimedRtcp ?? 0,
          closed: (udp?.droppedOnClose ?? 0) + r.droppedAfterClose,
          stale: r.droppedStale,
          unassigned: r.droppedUnassigned,
          write_failed: r.droppedWriteFailed,
        };
        publishDeltas(this, 'reason', seenDropped, totals);
      },
    }),
    bytesSpooled: new Gauge({
      name: 'tapedeck_bytes_spooled',
      help: 'bytes held in the local spool (parts not yet archived and delivered)',
      registers,
      async collect() {
        if (spoolDir !== undefined) this.set(await treeBytes(spoolDir));
      },
    }),
    deliveries,
    webhookAttempts: new Counter({
      name: 'tapedeck_webhook_attempts_total',
      help: 'webhook delivery attempts',
      labelNames: ['outcome'] as const,
      registers,
    }),
  };
}
