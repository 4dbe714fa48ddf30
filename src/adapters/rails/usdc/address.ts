/**
 * Base (EVM) addresses: `0x` and 40 hex digits. A mixed-case address carries an EIP-55 checksum, which needs
 * keccak-256; Node's crypto has only SHA3-256 (different padding) and no keccak library is a dependency, so a
 * mixed-case address is refused rather than accepted unchecked: the operator checks it in the wallet and registers it
 * in lower case. All-lower and all-upper (no checksum) are accepted and normalised to lower case.
 */
export type AddressCheck = { ok: true; address: string } | { ok: false; reason: string };

const ZERO = `0x${'0'.repeat(40)}`;

export function checkBaseAddress(input: string): AddressCheck {
  const value = input.trim();
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) {
    return { ok: false, reason: 'not a Base address: expected 0x followed by 40 hexadecimal digits' };
  }
  const hex = value.slice(2);
  if (hex !== hex.toLowerCase() && hex !== hex.toUpperCase()) {
    return {
      ok: false,
      reason:
        'mixed-case address: its EIP-55 checksum cannot be verified here; check the address in the wallet and register it in lower case',
    };
  }
  const address = `0x${hex.toLowerCase()}`;
  if (address === ZERO) return { ok: false, reason: 'the zero address burns what is sent to it' };
  return { ok: true, address };
}
