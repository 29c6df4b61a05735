// Is 32 bytes an Ed25519 public key? Node's createPublicKey takes any 32 bytes as a raw Ed25519 key
// (OpenSSL decodes the point only when verifying), so a key that is not a point on the curve would
// be accepted at start-up and every delivery then refused 401. Deno refuses such a key itself.
// Decoding per RFC 8032 §5.1.3, with BigInt: start-up only, never per request.

const P = 2n ** 255n - 19n;
// d = -121665/121666 mod p (RFC 8032 §5.1).
const D = mod(-121665n * modPow(121666n, P - 2n));
// sqrt(-1) mod p: 2^((p-1)/4).
const SQRT_M1 = modPow(2n, (P - 1n) / 4n);

function mod(a: bigint): bigint {
  const r = a % P;
  return r < 0n ? r + P : r;
}

function modPow(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
  }
  return result;
}

/**
 * Tells whether 32 bytes encode a point on the Ed25519 curve (RFC 8032 §5.1.3): y below p, a square
 * root of x² = (y² − 1) / (d·y² + 1) exists, and not x = 0 with the sign bit set.
 *
 * @param raw The raw public key, as the Telnyx portal shows it in base64.
 * @returns True if the bytes decode to a curve point.
 * @example
 * ```ts
 * isEd25519Point(Buffer.from("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", "base64")); // true
 * ```
 */
export function isEd25519Point(raw: Uint8Array): boolean {
  if (raw.length !== 32) return false;
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(raw[i] as number);
  const sign = y >> 255n;
  y &= (1n << 255n) - 1n;
  if (y >= P) return false;
  const y2 = (y * y) % P;
  const u = mod(y2 - 1n);
  const v = mod(D * y2 + 1n);
  // x = u·v³·(u·v⁷)^((p−5)/8), then checked (RFC 8032 §5.1.3 step 3).
  const v3 = (v * v % P) * v % P;
  let x = (u * v3 % P) * modPow(u * (v3 * v3 % P * v % P), (P - 5n) / 8n) % P;
  const vx2 = (v * x % P) * x % P;
  if (vx2 !== u) {
    if (vx2 !== mod(-u)) return false;
    x = (x * SQRT_M1) % P;
  }
  return !(x === 0n && sign === 1n);
}
