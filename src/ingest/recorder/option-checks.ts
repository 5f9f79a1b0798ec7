/**
 * Checks of the recorder's options, each throwing TypeError/RangeError naming the option.
 * User and session ids become folder names as they are (no encoding), so a recovered part
 * gives them back exactly; they must therefore be plain file names.
 */
import type { TrackType } from '../../archive/types.js';
import { TRACK_TYPES } from '../../archive/timing-metadata.js';
import { parseDottedIpv4 } from '../../rtpdump/core/ipv4.js';
import type { TrackEndpoint } from './types.js';

const CONTROL = /[\u0000-\u001f\u007f]/;

/** A user or session id usable as one folder name (and as one path segment of the archive). */
export function checkFolderName(field: string, value: unknown): string {
  if (
    typeof value !== 'string' ||
    value === '' ||
    value === '.' ||
    value === '..' ||
    value.length > 200 ||
    /[/\\]/.test(value) ||
    CONTROL.test(value) ||
    value.trim() !== value
  ) {
    throw new RangeError(
      `${field} must be 1..200 characters without / or \\, control characters or surrounding spaces, and not "." or "..", got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** A track id: written into JSON and an SDP attribute line. */
export function checkTrackId(field: string, value: unknown): string {
  if (
    typeof value !== 'string' ||
    value === '' ||
    value.length > 255 ||
    CONTROL.test(value) ||
    value.trim() !== value
  ) {
    throw new RangeError(
      `${field} must be 1..255 characters without control characters or surrounding spaces, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** A non-empty string (call type, call id, call session id). */
export function checkNonEmpty(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '' || CONTROL.test(value)) {
    throw new TypeError(
      `${field} must be a non-empty string without control characters, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** One of the timing metadata's track types. */
export function checkTrackType(field: string, value: unknown): TrackType {
  if (!(TRACK_TYPES as readonly unknown[]).includes(value)) {
    throw new RangeError(
      `${field} must be one of ${TRACK_TYPES.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as TrackType;
}

/** Where packets were received: a dotted IPv4 and a port 1..65535 (what rtpdump can hold). */
export function checkEndpoint(field: string, endpoint: TrackEndpoint): TrackEndpoint {
  if (typeof endpoint?.address !== 'string' || parseDottedIpv4(endpoint.address) === undefined) {
    throw new TypeError(
      `${field}.address must be a dotted IPv4 address, got ${JSON.stringify(endpoint?.address)}`,
    );
  }
  const port = endpoint.port;
  if (!Number.isInteger(port) || port < 1 || port > 0xffff) {
    throw new RangeError(`${field}.port must be an integer in 1..65535, got ${String(port)}`);
  }
  return { address: endpoint.address, port };
}
