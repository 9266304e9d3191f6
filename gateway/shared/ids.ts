import { randomFillSync } from 'node:crypto';

/**
 * Identifiers carry a type prefix (`ptr_`, `mbr_`, `trf_`) so a log line explains itself.
 * The body is a lowercase ULID: 10 characters of milliseconds since the epoch and 16 random
 * ones (Crockford base32), so ids sort by creation time and need no coordination.
 */
const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';

export type IdPrefix =
  | 'ptr'
  | 'mbr'
  | 'trf'
  | 'qte'
  | 'per'
  | 'rec'
  | 'hld'
  | 'rul'
  | 'rct'
  | 'svy'
  | 'ans'
  | 'whs'
  | 'seg'
  | 'ofr';

let lastMs = 0;
let lastRandom: number[] = [];

export function newId(prefix: IdPrefix): string {
  const now = Date.now();
  let random: number[];
  if (now === lastMs) {
    // Within one millisecond, increment the previous random part so ids stay ordered.
    random = increment(lastRandom);
  } else {
    random = Array.from(randomBytesFromPool(), (byte) => byte & 31);
  }
  lastMs = now;
  lastRandom = random;
  let time = '';
  let ms = now;
  for (let i = 0; i < 10; i++) {
    time = alphabet[ms % 32] + time;
    ms = Math.floor(ms / 32);
  }
  return `${prefix}_${time}${random.map((digit) => alphabet[digit]).join('')}`;
}

/**
 * Random bytes are drawn 4 KiB at a time: one call into the CSPRNG per 256 ids instead of one
 * per id (that call was 3% of the gateway's CPU under earn load).
 */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function randomBytesFromPool(): Uint8Array {
  if (poolOffset + 16 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  poolOffset += 16;
  return pool.subarray(poolOffset - 16, poolOffset);
}

function increment(digits: number[]): number[] {
  const next = [...digits];
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i]! < 31) {
      next[i]! += 1;
      return next;
    }
    next[i] = 0;
  }
  return next;
}

/** What an id of the given kind looks like; used to reject malformed ids before any query. */
export const idPatterns = {
  partner: /^ptr_[a-z0-9_]{1,60}$/,
  member: /^mbr_[a-z0-9_]{1,60}$/,
  transfer: /^trf_[a-z0-9]{26}$/,
} as const;

/** The alphabet of codes people read and type: no 0/O, 1/I/L or U to confuse. */
const humanCodeAlphabet = 'ABCDEFGHJKMNPQRSTVWXYZ23456789';

/**
 * A random code for people to read and type (link codes, voucher and referral codes): `length`
 * characters of an alphabet of 30 (about 4.9 random bits each).
 */
export function humanCode(length: number): string {
  const bytes = new Uint8Array(length);
  randomFillSync(bytes);
  return Array.from(bytes, (byte) => humanCodeAlphabet[byte % humanCodeAlphabet.length]).join('');
}

/** A code as a person typed it, in the form codes are stored: upper case, no spaces or dashes. */
export function typedCode(code: string): string {
  return code.replace(/[\s-]/g, '').toUpperCase();
}
