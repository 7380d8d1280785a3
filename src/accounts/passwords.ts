// Password hashing with argon2id (@node-rs/argon2: native, off the event loop). Parameters are OWASP's minimum
// for argon2id (19 MiB, t=2, p=1): about 20-40 ms per hash on this 2-core box, a brute force costs the same per guess.
import { hash, verify } from '@node-rs/argon2';

const ARGON2ID = 2; // Algorithm.Argon2id (a const enum, which verbatimModuleSyntax cannot import)
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(phc: string, password: string): Promise<boolean> {
  try {
    return await verify(phc, password);
  } catch {
    return false; // a malformed stored hash is a failed login, never a 500 that tells the caller something
  }
}

/** A hash of a random password: login for an unknown email verifies against it, so timing does not reveal which emails exist. */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(`decoy-${Math.random()}`);
  return decoy;
}
