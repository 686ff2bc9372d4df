/**
 * ISO 11649 structured creditor references ("RF" references): what a holder quotes on a bank
 * transfer or postal slip so that the payment can be matched to its order, with MOD 97-10 check
 * digits (ISO 7064) so that a mistyped reference is rejected instead of matched to a stranger's order.
 */

const MAX_REFERENCE_LENGTH = 21;
const REFERENCE_CHARS = /^[A-Z0-9]+$/;
const CREDITOR_REFERENCE = /^RF[0-9]{2}[A-Z0-9]{1,21}$/;

// Remainder modulo 97 of the number obtained by writing every digit as itself and every letter as
// two digits (A = 10 ... Z = 35). Folding digit by digit keeps the value small enough for a Number
// whatever the length.
function mod97(alphanumeric: string): number {
  let remainder = 0;
  for (const char of alphanumeric) {
    const value = Number.parseInt(char, 36);
    remainder = (remainder * (value < 10 ? 10 : 100) + value) % 97;
  }
  return remainder;
}

/**
 * The creditor reference of `reference`, unformatted: `RF`, two check digits, then the reference.
 *
 * @param reference - 1 to 21 upper-case letters and digits.
 * @throws {RangeError} when `reference` is empty, too long or has other characters.
 */
export function creditorReference(reference: string): string {
  if (reference.length === 0 || reference.length > MAX_REFERENCE_LENGTH || !REFERENCE_CHARS.test(reference)) {
    throw new RangeError(
      `A creditor reference holds 1 to ${MAX_REFERENCE_LENGTH} upper-case letters and digits, got "${reference}"`,
    );
  }
  const check = 98 - mod97(`${reference}RF00`);
  return `RF${String(check).padStart(2, '0')}${reference}`;
}

/**
 * `rf` in groups of four characters separated by spaces, the print form ISO 11649 recommends
 * because it is what people copy without mistakes.
 */
export function formatCreditorReference(rf: string): string {
  return compactCreditorReference(rf).replace(/(.{4})(?=.)/g, '$1 ');
}

/**
 * Whether `input` is a creditor reference whose check digits match. Spaces and case are ignored,
 * since people type the printed, grouped form.
 */
export function isValidCreditorReference(input: string): boolean {
  const rf = compactCreditorReference(input);
  if (!CREDITOR_REFERENCE.test(rf)) return false;
  return mod97(`${rf.slice(4)}${rf.slice(0, 4)}`) === 1;
}

/** `input` without spaces and in upper case: the form that is validated and stored. */
export function compactCreditorReference(input: string): string {
  return input.replace(/\s+/g, '').toUpperCase();
}

/** The longest creditor reference: `RF`, two check digits and 21 characters. */
const MAX_CREDITOR_REFERENCE_LENGTH = 4 + MAX_REFERENCE_LENGTH;

/**
 * The first creditor reference with matching check digits in free text, such as the remittance
 * information ("causale") a payer typed into a bank transfer: in any case, whole or in groups
 * ("rf18 5392 0000 ..."), amid other words. A reference starts at the beginning of a word and ends
 * at the end of one; of those starting at one word, the longest that is valid and `fits` is taken.
 * `fits` narrows what is looked for (the references of one creditor have one length): without it,
 * a word that follows a reference ("... PA1C grazie") is taken as part of it whenever the longer
 * text happens to have valid check digits too (one time in 97). Answers the compact form
 * (`compactCreditorReference`), or undefined when the text quotes none.
 */
export function findCreditorReference(
  text: string,
  fits: (reference: string) => boolean = () => true,
): string | undefined {
  const words = text
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter((word) => word.length > 0);
  for (const [start, word] of words.entries()) {
    if (!word.startsWith('RF')) continue;
    let candidate = '';
    let found: string | undefined;
    for (const next of words.slice(start)) {
      candidate += next;
      if (candidate.length > MAX_CREDITOR_REFERENCE_LENGTH) break;
      if (isValidCreditorReference(candidate) && fits(candidate)) found = candidate;
    }
    if (found) return found;
  }
  return undefined;
}
