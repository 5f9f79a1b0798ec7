/** The `/v1` call, recording and RTP ingest routes over a CallService. */
import type { FastifyInstance } from 'fastify';
import type { CallService } from '../../calls/index.js';
import { registerCallRoutes } from './call-routes.js';
import { registerCallTypeRoutes } from './call-type-routes.js';
import { registerRecordingRoutes, type RecordingRouteDeps } from './recording-routes.js';
import { registerRtpTrackRoutes } from './rtp-track-routes.js';

export function registerCallServiceRoutes(
  app: FastifyInstance,
  service: CallService,
  deps: RecordingRouteDeps,
): void {
  registerCallTypeRoutes(app, service);
  registerCallRoutes(app, service);
  registerRecordingRoutes(app, service, deps);
  registerRtpTrackRoutes(app, service);
}
