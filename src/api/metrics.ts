/**
 * The service's Prometheus metrics, on a registry each server owns (so tests and several
 * servers in one process never share counters). Later modules receive `TapedeckMetrics`
 * and update the named instruments.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

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
  /** Delivery jobs finished (label `outcome`: `succeeded` | `failed`). */
  readonly deliveries: Counter<'outcome'>;
  /** Webhook delivery attempts (label `outcome`: `succeeded` | `failed`). */
  readonly webhookAttempts: Counter<'outcome'>;
};

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
export function createMetrics(): TapedeckMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
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
      help: 'packets received by ingest',
      labelNames: ['kind'],
      registers,
    }),
    packetsWritten: new Counter({
      name: 'tapedeck_packets_written_total',
      help: 'packets written to the spool',
      labelNames: ['kind'],
      registers,
    }),
    packetsDropped: new Counter({
      name: 'tapedeck_packets_dropped_total',
      help: 'packets dropped by ingest',
      labelNames: ['reason'],
      registers,
    }),
    bytesSpooled: new Gauge({
      name: 'tapedeck_bytes_spooled',
      help: 'bytes held in the local spool',
      registers,
    }),
    deliveries: new Counter({
      name: 'tapedeck_deliveries_total',
      help: 'delivery jobs finished',
      labelNames: ['outcome'],
      registers,
    }),
    webhookAttempts: new Counter({
      name: 'tapedeck_webhook_attempts_total',
      help: 'webhook delivery attempts',
      labelNames: ['outcome'],
      registers,
    }),
  };
}
