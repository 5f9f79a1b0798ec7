/**
 * Checks for the names the recorder turns into folders and SDP lines. User and session ids
 * become folder names as they are (no encoding), so a recovered part gives them back
 * exactly; they must therefore be plain file names.
 */

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
