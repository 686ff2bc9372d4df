import { splitAddress } from './address.ts';

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 128;

// Parts of the address shorter than this are too common to forbid (a local part "mr" would ban
// every password containing "mr").
const MIN_FORBIDDEN_PART_LENGTH = 3;

/**
 * Everything wrong with `password` as the password of a PEC mailbox; an empty array means it is
 * acceptable.
 *
 * The policy is the one Italian PEC providers commonly ask for: 10 to 128 characters, lower and upper
 * case letters, a digit and a symbol, no space at either end (some mail clients trim it silently and
 * the login then fails), and nothing guessable from the address itself.
 *
 * @param context.address - the mailbox address; its local part, and each of its dot/hyphen/underscore
 *   separated parts, must not appear in the password (case-insensitive).
 * @returns one English sentence per broken rule, each naming the rule.
 */
export function passwordProblems(password: string, context: { address?: string } = {}): string[] {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) {
    problems.push(`Length: the password must be at least ${PASSWORD_MIN_LENGTH} characters long.`);
  }
  if (length > PASSWORD_MAX_LENGTH) {
    problems.push(`Length: the password must be at most ${PASSWORD_MAX_LENGTH} characters long.`);
  }
  if (!/\p{Ll}/u.test(password)) problems.push('Lower case: the password must contain a lower-case letter.');
  if (!/\p{Lu}/u.test(password)) problems.push('Upper case: the password must contain an upper-case letter.');
  if (!/\p{Nd}/u.test(password)) problems.push('Digit: the password must contain a digit.');
  if (!/[^\p{L}\p{N}\s]/u.test(password)) {
    problems.push('Symbol: the password must contain a symbol (a character that is neither a letter nor a digit).');
  }
  if (/^\s|\s$/u.test(password)) problems.push('Whitespace: the password must not start or end with a space.');
  if (/\p{Cc}/u.test(password)) problems.push('Control characters: the password must not contain control characters.');
  const forbidden = forbiddenParts(context.address).find((part) => password.toLowerCase().includes(part));
  if (forbidden !== undefined) {
    problems.push(`Address: the password must not contain "${forbidden}", which is part of the mailbox address.`);
  }
  return problems;
}

function forbiddenParts(address: string | undefined): string[] {
  if (address === undefined || !address.includes('@')) return [];
  const localPart = splitAddress(address).localPart.trim().toLowerCase();
  return [localPart, ...localPart.split(/[._-]/)].filter((part) => part.length >= MIN_FORBIDDEN_PART_LENGTH);
}
