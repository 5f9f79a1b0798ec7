/** Dotted-quad IPv4 text to and from its 32-bit value, with no string tricks for the bits. */

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The 32-bit value of a dotted IPv4 address, or undefined when `text` is not one. */
export function parseDottedIpv4(text: string): number | undefined {
  const m = DOTTED.exec(text);
  if (m === null) return undefined;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return undefined;
    value = ((value << 8) | octet) >>> 0;
  }
  return value;
}

/** `a.b.c.d` for a 32-bit value. */
export function formatDottedIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}`;
}
