/**
 * Maps what @google-cloud/storage (and the google-auth-library under it) throws to one
 * `DESTINATION_*` TapedeckError, through the provider-neutral `classifyHttpFailure`.
 *
 * ```text
 * ApiError.code / GaxiosError.response.status / "Retry limit exceeded - status: N"
 *                               401 403 ─▶ DESTINATION_AUTH_FAILED      404 ─▶ DESTINATION_NOT_FOUND
 *                       408 429 5xx     ─▶ DESTINATION_UNAVAILABLE
 * ECONNREFUSED ENOTFOUND ETIMEDOUT … (anywhere in the cause chain)     ─▶ DESTINATION_UNREACHABLE
 * invalid_grant / invalid_client (token exchange)                      ─▶ DESTINATION_AUTH_FAILED
 * FILE_NO_UPLOAD* (crc32c/md5 of the stored object ≠ bytes sent),
 * 400 "… does not match" (GCS checked the X-Goog-Hash sent)            ─▶ DESTINATION_INTEGRITY_FAILED
 * a TapedeckError anywhere in the chain (federated exchange)           ─▶ passed through
 * ```
 *
 * The message names the action and the bucket; the provider's text is never copied.
 *
 * @see https://cloud.google.com/storage/docs/json_api/v1/status-codes
 */
import { TapedeckError } from '../../errors.js';
import { classifyHttpFailure, networkFailureCode } from './classify-error.js';

const INTEGRITY_CODES = new Set([
  'FILE_NO_UPLOAD',
  'FILE_NO_UPLOAD_DELETE',
  'CONTENT_DOWNLOAD_MISMATCH',
]);
const GRANT_ERRORS = /^(invalid_grant|invalid_client|unauthorized_client|invalid_scope)$/;

type Facts = {
  status?: number;
  codes: string[];
  reasons: string[];
  messages: string[];
  tapedeck?: TapedeckError;
  aborted: boolean;
};

/** Walks `error`, its `cause`s and `errors` collecting statuses, codes and reasons. */
function gather(error: unknown): Facts {
  const facts: Facts = { codes: [], reasons: [], messages: [], aborted: false };
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number): void => {
    if (depth > 6 || e === null || typeof e !== 'object' || seen.has(e)) return;
    seen.add(e);
    if (e instanceof TapedeckError) facts.tapedeck ??= e;
    const o = e as Record<string, unknown>;
    if (o['name'] === 'AbortError') facts.aborted = true;
    if (typeof o['message'] === 'string') facts.messages.push(o['message']);
    const code = o['code'];
    if (typeof code === 'number' && code >= 100 && code < 600) facts.status ??= code;
    if (typeof code === 'string') {
      if (/^\d{3}$/.test(code)) facts.status ??= Number(code);
      else facts.codes.push(code);
    }
    if (typeof o['status'] === 'number') facts.status ??= o['status'];
    if (typeof o['reason'] === 'string') facts.reasons.push(o['reason']);
    const response = o['response'] as Record<string, unknown> | undefined;
    if (response && typeof response['status'] === 'number') facts.status ??= response['status'];
    const data = response?.['data'] as Record<string, unknown> | undefined;
    if (data && typeof data['error'] === 'string') facts.reasons.push(data['error']);
    if (Array.isArray(o['errors'])) for (const sub of o['errors']) visit(sub, depth + 1);
    visit(o['cause'], depth + 1);
  };
  visit(error, 0);
  // The resumable upload reports its last answer only in text: "Retry limit exceeded - status: 503 - …".
  if (facts.status === undefined) {
    const m = /\bstatus:? (\d{3})\b/.exec(facts.messages.join(' '));
    if (m) facts.status = Number(m[1]);
  }
  return facts;
}

/**
 * Classifies a GCS failure during `action` (e.g. `upload of "k"`) on `bucket`.
 * A TapedeckError passes through; an abort becomes `ABORTED`.
 */
export function classifyGcsError(error: unknown, bucket: string, action: string): TapedeckError {
  const facts = gather(error);
  if (facts.tapedeck) return facts.tapedeck;
  const what = `${action} on gcs bucket "${bucket}"`;
  if (facts.aborted) return new TapedeckError('ABORTED', `${what}: aborted`, { cause: error });
  const integrityCode = facts.codes.find((c) => INTEGRITY_CODES.has(c));
  if (
    integrityCode !== undefined ||
    (facts.status === 400 &&
      /(crc32c|md5)\b.*\bmatch|does not match|did not match/i.test(facts.messages.join(' ')))
  ) {
    return new TapedeckError(
      'DESTINATION_INTEGRITY_FAILED',
      `${what}: stored object does not match what was sent (${integrityCode ?? `checksum mismatch, HTTP ${facts.status}`})`,
      { cause: error },
    );
  }
  const grant = facts.reasons.find((r) => GRANT_ERRORS.test(r));
  if (grant !== undefined) {
    return new TapedeckError(
      'DESTINATION_AUTH_FAILED',
      `${what}: credentials rejected (${grant})`,
      { cause: error },
    );
  }
  if (facts.status !== undefined) {
    return classifyHttpFailure(facts.status, facts.reasons[0], what, error);
  }
  const network =
    networkFailureCode(error) ??
    /\b(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EAI_AGAIN)\b/.exec(
      facts.messages.join(' '),
    )?.[1];
  if (network !== undefined) return classifyHttpFailure(0, network, what, error);
  if (/private key|PEM|DECODER|no start line/i.test(facts.messages.join(' '))) {
    return new TapedeckError(
      'DESTINATION_AUTH_FAILED',
      `${what}: the service-account private key is unusable`,
      { cause: error },
    );
  }
  return new TapedeckError('DESTINATION_UNAVAILABLE', `${what}: request failed`, { cause: error });
}
