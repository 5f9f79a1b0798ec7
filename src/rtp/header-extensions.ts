/**
 * RFC 8285 header extension elements (the one-byte and two-byte forms) inside an RTP
 * header extension.
 *
 * One-byte form, profile 0xBEDE: each element starts with one byte, ID 1..14 and
 * L = data length − 1 (so 1..16 data bytes). A zero byte is padding; ID 15 ends parsing.
 *
 * ```text
 *  0 1 2 3 4 5 6 7
 * +-+-+-+-+-+-+-+-+---------------------+
 * |  ID   |  len  |  data (len+1 bytes) |
 * +-+-+-+-+-+-+-+-+---------------------+
 * ```
 *
 * Two-byte form, profile 0x100 << 4 | appbits: an ID byte 1..255 and a length byte
 * 0..255 (data bytes, 0 allowed). A zero ID byte is one byte of padding.
 *
 * ```text
 *  0                   1
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-------------------+
 * |       ID      |     length    |  data (length)    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-------------------+
 * ```
 *
 * @see RFC 8285 §4.2 (one-byte), §4.3 (two-byte)
 */
import { ParseError } from '../errors.js';
import type { RtpHeaderExtension } from './rtp-packet.js';

/** The "defined by profile" value of the one-byte form. */
export const ONE_BYTE_PROFILE = 0xbede;
/** The two-byte form's profile with appbits 0 (the low 4 bits are application bits). */
export const TWO_BYTE_PROFILE = 0x1000;

export type HeaderExtensionForm = 'one-byte' | 'two-byte';

export type HeaderExtensionElement = {
  /** Local identifier: 1..14 (one-byte form) or 1..255 (two-byte form). */
  readonly id: number;
  /** Element data, a subarray of the extension (zero-copy) when parsed. */
  readonly data: Uint8Array;
};

/** The RFC 8285 form a profile value announces, or undefined for any other profile. */
export function headerExtensionForm(profile: number): HeaderExtensionForm | undefined {
  if (profile === ONE_BYTE_PROFILE) return 'one-byte';
  if ((profile & 0xfff0) === TWO_BYTE_PROFILE) return 'two-byte';
  return undefined;
}

/**
 * Splits an RFC 8285 header extension into its elements, in wire order, skipping padding.
 * Throws `ParseError('RTP', offset, …)` when the profile is not an RFC 8285 one or an
 * element runs past the end; `offset` counts from the start of `extension.data`.
 * @see RFC 8285 §4.2, §4.3
 */
export function parseHeaderExtensionElements(
  extension: RtpHeaderExtension,
): HeaderExtensionElement[] {
  const form = headerExtensionForm(extension.profile);
  if (form === undefined) {
    const hex = extension.profile.toString(16).padStart(4, '0');
    throw new ParseError('RTP', 0, `header extension profile 0x${hex} is not an RFC 8285 form`);
  }
  const data = extension.data;
  const size = data.byteLength;
  const elements: HeaderExtensionElement[] = [];
  let pos = 0;
  while (pos < size) {
    const first = data[pos]!;
    if (form === 'one-byte') {
      const id = first >>> 4;
      if (id === 0) {
        pos += 1; // padding byte
        continue;
      }
      if (id === 15) break; // reserved: stop, keep what came before (§4.2)
      const length = (first & 0x0f) + 1;
      if (pos + 1 + length > size) {
        throw new ParseError(
          'RTP',
          pos,
          `extension element ${id} needs ${length} bytes, ${size - pos - 1} left`,
        );
      }
      elements.push({ id, data: data.subarray(pos + 1, pos + 1 + length) });
      pos += 1 + length;
    } else {
      if (first === 0) {
        pos += 1; // padding byte
        continue;
      }
      if (pos + 2 > size)
        throw new ParseError('RTP', pos, `extension element ${first} has no length byte`);
      const length = data[pos + 1]!;
      if (pos + 2 + length > size) {
        throw new ParseError(
          'RTP',
          pos,
          `extension element ${first} needs ${length} bytes, ${size - pos - 2} left`,
        );
      }
      elements.push({ id: first, data: data.subarray(pos + 2, pos + 2 + length) });
      pos += 2 + length;
    }
  }
  return elements;
}

export type BuildHeaderExtensionOptions = {
  /**
   * Default: 'one-byte' when every id is 1..14 and every element 1..16 bytes, otherwise
   * 'two-byte'.
   */
  readonly form?: HeaderExtensionForm;
  /** Two-byte form only: the 4 application bits of the profile, 0..15. Default 0. */
  readonly appBits?: number;
};

/**
 * Builds an RFC 8285 header extension from elements, zero-padded to a multiple of 4
 * bytes, ready for `serializeRtpPacket`. Throws `RangeError` naming the element when an
 * id or length does not fit the chosen form.
 * @see RFC 8285 §4
 */
export function buildHeaderExtension(
  elements: readonly HeaderExtensionElement[],
  options: BuildHeaderExtensionOptions = {},
): RtpHeaderExtension {
  const fitsOneByte = elements.every(
    (e) => e.id >= 1 && e.id <= 14 && e.data.byteLength >= 1 && e.data.byteLength <= 16,
  );
  const form = options.form ?? (fitsOneByte ? 'one-byte' : 'two-byte');
  const appBits = options.appBits ?? 0;
  if (!Number.isInteger(appBits) || appBits < 0 || appBits > 15) {
    throw new RangeError(`options.appBits must be an integer in 0..15, got ${appBits}`);
  }
  const headerBytes = form === 'one-byte' ? 1 : 2;
  let total = 0;
  elements.forEach((e, i) => {
    const n = e.data.byteLength;
    if (form === 'one-byte') {
      if (!Number.isInteger(e.id) || e.id < 1 || e.id > 14) {
        throw new RangeError(`elements[${i}].id must be 1..14 in the one-byte form, got ${e.id}`);
      }
      if (n < 1 || n > 16)
        throw new RangeError(
          `elements[${i}].data must be 1..16 bytes in the one-byte form, got ${n}`,
        );
    } else {
      if (!Number.isInteger(e.id) || e.id < 1 || e.id > 255) {
        throw new RangeError(`elements[${i}].id must be 1..255 in the two-byte form, got ${e.id}`);
      }
      if (n > 255)
        throw new RangeError(
          `elements[${i}].data must be at most 255 bytes in the two-byte form, got ${n}`,
        );
    }
    total += headerBytes + n;
  });
  const padded = Math.ceil(total / 4) * 4;
  if (padded > 0xffff * 4)
    throw new RangeError(`elements need ${padded} bytes, more than a header extension holds`);
  const data = new Uint8Array(padded);
  let pos = 0;
  for (const e of elements) {
    if (form === 'one-byte') {
      data[pos] = (e.id << 4) | (e.data.byteLength - 1);
    } else {
      data[pos] = e.id;
      data[pos + 1] = e.data.byteLength;
    }
    data.set(e.data, pos + headerBytes);
    pos += headerBytes + e.data.byteLength;
  }
  return { profile: form === 'one-byte' ? ONE_BYTE_PROFILE : TWO_BYTE_PROFILE | appBits, data };
}
