/**
 * Maps what @azure/storage-blob and @azure/identity throw to one `DESTINATION_*`
 * TapedeckError, through the provider-neutral `classifyHttpFailure`.
 *
 * ```text
 * RestError.statusCode + x-ms-error-code   401 403 AuthenticationFailed AuthorizationFailure
 *                                          AuthorizationPermissionMismatch …  ─▶ DESTINATION_AUTH_FAILED
 *                                          404 ContainerNotFound              ─▶ DESTINATION_NOT_FOUND
 *                                          408 429 5xx ServerBusy             ─▶ DESTINATION_UNAVAILABLE
 *                                          Md5Mismatch Crc64Mismatch InvalidMd5 ─▶ DESTINATION_INTEGRITY_FAILED
 * REQUEST_SEND_ERROR, ECONNREFUSED ENOTFOUND … (cause chain)                  ─▶ DESTINATION_UNREACHABLE
 * identity errors (CredentialUnavailableError, AuthenticationError, invalid_grant, AADSTS…)
 *                                                                             ─▶ DESTINATION_AUTH_FAILED
 * a TapedeckError anywhere in the chain (federated credential)                ─▶ passed through
 * ```
 *
 * The message names the action and the container; the service's text (which can echo a
 * string-to-sign) is never copied.
 *
 * @see https://learn.microsoft.com/rest/api/storageservices/blob-service-error-codes
 */
import { TapedeckError } from '../../errors.js';
import { classifyHttpFailure, networkFailureCode } from './classify-error.js';

const INTEGRITY_CODES = new Set(['Md5Mismatch', 'Crc64Mismatch', 'InvalidMd5', 'InvalidBlockList']);
const IDENTITY_ERRORS =
  /^(CredentialUnavailableError|AuthenticationRequiredError|AuthenticationError|AggregateAuthenticationError)$/;
const NETWORK =
  /\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)\b/;

type Facts = {
  status?: number;
  codes: string[];
  names: string[];
  messages: string[];
  tapedeck?: TapedeckError;
};

function gather(error: unknown): Facts {
  const facts: Facts = { codes: [], names: [], messages: [] };
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number): void => {
    if (depth > 6 || e === null || typeof e !== 'object' || seen.has(e)) return;
    seen.add(e);
    if (e instanceof TapedeckError) facts.tapedeck ??= e;
    const o = e as Record<string, unknown>;
    if (typeof o['message'] === 'string') facts.messages.push(o['message']);
    if (typeof o['name'] === 'string') facts.names.push(o['name']);
    if (typeof o['statusCode'] === 'number') facts.status ??= o['statusCode'];
    if (typeof o['code'] === 'string') facts.codes.push(o['code']);
    const details = o['details'] as Record<string, unknown> | undefined;
    if (details && typeof details['errorCode'] === 'string')
      facts.codes.unshift(details['errorCode']);
    if (Array.isArray(o['errors'])) for (const sub of o['errors']) visit(sub, depth + 1);
    visit(o['cause'], depth + 1);
  };
  visit(error, 0);
  return facts;
}

/**
 * Classifies an Azure Blob failure during `action` (e.g. `upload of "k"`) on `container`.
 * A TapedeckError passes through; an abort becomes `ABORTED`.
 */
export function classifyAbsError(error: unknown, container: string, action: string): TapedeckError {
  const facts = gather(error);
  if (facts.tapedeck) return facts.tapedeck;
  const what = `${action} on abs container "${container}"`;
  if (facts.names.includes('AbortError')) {
    return new TapedeckError('ABORTED', `${what}: aborted`, { cause: error });
  }
  const serviceCode = facts.codes.find(
    (c) => /^[A-Z][A-Za-z0-9]+$/.test(c) && c !== 'REQUEST_SEND_ERROR',
  );
  const integrity = facts.codes.find((c) => INTEGRITY_CODES.has(c));
  if (integrity !== undefined) {
    return new TapedeckError(
      'DESTINATION_INTEGRITY_FAILED',
      `${what}: stored blob does not match what was sent (${integrity})`,
      { cause: error },
    );
  }
  const allText = facts.messages.join(' ');
  if (
    facts.names.some((n) => IDENTITY_ERRORS.test(n)) ||
    /invalid_grant|invalid_client|AADSTS\d+/.test(allText)
  ) {
    const aadsts = /AADSTS\d+|invalid_grant|invalid_client/.exec(allText)?.[0];
    return new TapedeckError(
      'DESTINATION_AUTH_FAILED',
      `${what}: credentials rejected${aadsts ? ` (${aadsts})` : ''}`,
      { cause: error },
    );
  }
  if (facts.status !== undefined && facts.status > 0) {
    return classifyHttpFailure(facts.status, serviceCode, what, error);
  }
  const network =
    networkFailureCode(error) ??
    facts.codes.find((c) => NETWORK.test(c)) ??
    NETWORK.exec(allText)?.[1];
  if (network !== undefined || facts.codes.includes('REQUEST_SEND_ERROR')) {
    return classifyHttpFailure(0, network, what, error);
  }
  if (/timed? ?out|timeout/i.test(allText)) return classifyHttpFailure(0, 'timeout', what, error);
  return new TapedeckError('DESTINATION_UNAVAILABLE', `${what}: request failed`, { cause: error });
}
