import { splitAddress } from './address.ts';

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 128;

// Parts of the address shorter than this are too common to forbid (a local part "mr" would ban
// every password containing "mr").
const MIN_FORBIDDEN_PART_LENGTH = 3;

/**
 * What one rule checks. Plain data, so that the password-setup page can check the same rules in the
 * holder's browser as the server does (patterns are Unicode regular expressions, flag `u`); only
 * `addressPart` needs the mailbox address, which the page does not know: it is checked on submit.
 */
export type PasswordCheck =
  | { kind: 'minLength'; min: number }
  | { kind: 'maxLength'; max: number }
  | { kind: 'mustMatch'; pattern: string }
  | { kind: 'mustNotMatch'; pattern: string }
  | { kind: 'addressPart' };

export interface PasswordRule {
  /** Stable name of the rule (the page words each rule by it). */
  id: string;
  check: PasswordCheck;
  /** The API's sentence when the rule is broken; `{part}` is the part of the address found. */
  problem: string;
}

/**
 * The password policy, the one Italian PEC providers commonly ask for: 10 to 128 characters, lower
 * and upper case letters, a digit and a symbol, no space at either end (some mail clients trim it
 * silently and the login then fails), no control characters, and nothing guessable from the address.
 */
export const PASSWORD_RULES = [
  {
    id: 'minLength',
    check: { kind: 'minLength', min: PASSWORD_MIN_LENGTH },
    problem: `Length: the password must be at least ${PASSWORD_MIN_LENGTH} characters long.`,
  },
  {
    id: 'maxLength',
    check: { kind: 'maxLength', max: PASSWORD_MAX_LENGTH },
    problem: `Length: the password must be at most ${PASSWORD_MAX_LENGTH} characters long.`,
  },
  {
    id: 'lowerCase',
    check: { kind: 'mustMatch', pattern: '\\p{Ll}' },
    problem: 'Lower case: the password must contain a lower-case letter.',
  },
  {
    id: 'upperCase',
    check: { kind: 'mustMatch', pattern: '\\p{Lu}' },
    problem: 'Upper case: the password must contain an upper-case letter.',
  },
  {
    id: 'digit',
    check: { kind: 'mustMatch', pattern: '\\p{Nd}' },
    problem: 'Digit: the password must contain a digit.',
  },
  {
    id: 'symbol',
    check: { kind: 'mustMatch', pattern: '[^\\p{L}\\p{N}\\s]' },
    problem: 'Symbol: the password must contain a symbol (a character that is neither a letter nor a digit).',
  },
  {
    id: 'edgeSpace',
    check: { kind: 'mustNotMatch', pattern: '^\\s|\\s$' },
    problem: 'Whitespace: the password must not start or end with a space.',
  },
  {
    id: 'controlCharacters',
    check: { kind: 'mustNotMatch', pattern: '\\p{Cc}' },
    problem: 'Control characters: the password must not contain control characters.',
  },
  {
    id: 'addressPart',
    check: { kind: 'addressPart' },
    problem: 'Address: the password must not contain "{part}", which is part of the mailbox address.',
  },
] as const satisfies readonly PasswordRule[];

export type PasswordRuleId = (typeof PASSWORD_RULES)[number]['id'];

/**
 * Whether `password` breaks a check that needs nothing but the password (an `addressPart` check is
 * never broken here: see {@link passwordProblems}).
 *
 * Self-contained on purpose: it refers to nothing outside its own body, so the password-setup page
 * embeds this very function's source and checks exactly what the server checks.
 */
export function breaksCheck(check: PasswordCheck, password: string): boolean {
  switch (check.kind) {
    case 'minLength':
      return [...password].length < check.min;
    case 'maxLength':
      return [...password].length > check.max;
    case 'mustMatch':
      return !new RegExp(check.pattern, 'u').test(password);
    case 'mustNotMatch':
      return new RegExp(check.pattern, 'u').test(password);
    default:
      return false;
  }
}

/**
 * Everything wrong with `password` as the password of a PEC mailbox; an empty array means it is
 * acceptable.
 *
 * @param context.address - the mailbox address; its local part, and each of its dot/hyphen/underscore
 *   separated parts, must not appear in the password (case-insensitive).
 * @returns one English sentence per broken rule of {@link PASSWORD_RULES}, each naming the rule.
 */
export function passwordProblems(password: string, context: { address?: string } = {}): string[] {
  const problems: string[] = [];
  for (const rule of PASSWORD_RULES) {
    if (rule.check.kind === 'addressPart') {
      const part = forbiddenParts(context.address).find((candidate) => password.toLowerCase().includes(candidate));
      if (part !== undefined) problems.push(rule.problem.replace('{part}', part));
    } else if (breaksCheck(rule.check, password)) {
      problems.push(rule.problem);
    }
  }
  return problems;
}

function forbiddenParts(address: string | undefined): string[] {
  if (address === undefined || !address.includes('@')) return [];
  const localPart = splitAddress(address).localPart.trim().toLowerCase();
  return [localPart, ...localPart.split(/[._-]/)].filter((part) => part.length >= MIN_FORBIDDEN_PART_LENGTH);
}
