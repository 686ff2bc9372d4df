/**
 * Italian tax identifiers: the 16-character personal codice fiscale, the 11-digit numeric codice
 * fiscale of companies and associations, and the partita IVA (VAT number), which shares the
 * numeric code's check digit.
 */

// Omocodia: when two people would get the same code, the Agenzia delle Entrate replaces digits,
// from the right, with these letters (L = 0 ... V = 9). Such codes are as valid as the plain ones.
const OMOCODIC_LETTERS = 'LMNPQRSTUV';
const MONTH_LETTERS = 'ABCDEHLMPRST';

const DIGIT_OR_OMOCODIC = `[0-9${OMOCODIC_LETTERS}]`;
const PERSONAL_CODE_SHAPE = new RegExp(
  `^[A-Z]{6}${DIGIT_OR_OMOCODIC}{2}[${MONTH_LETTERS}]${DIGIT_OR_OMOCODIC}{2}[A-Z]${DIGIT_OR_OMOCODIC}{3}[A-Z]$`,
);

// Official values of a character in an odd position (1st, 3rd, ... 15th); a digit counts as the
// letter with the same index (0 as A, 1 as B, ...).
const ODD_VALUES = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];

/** Index of a digit or upper-case letter: '0'..'9' -> 0..9, 'A'..'Z' -> 0..25, as both tables read it. */
function alphanumericIndex(char: string): number {
  const code = char.charCodeAt(0);
  return code <= 57 ? code - 48 : code - 65;
}

/**
 * The check character of the first 15 characters of a personal fiscal code.
 *
 * @param first15 - 15 upper-case letters and digits; other characters give a meaningless result.
 */
export function personalFiscalCodeCheckCharacter(first15: string): string {
  let sum = 0;
  for (let position = 0; position < 15; position++) {
    const index = alphanumericIndex(first15.charAt(position));
    // position is 0-based here, so the official "odd" positions are the even indexes.
    sum += position % 2 === 0 ? (ODD_VALUES[index] ?? Number.NaN) : index;
  }
  return String.fromCharCode(65 + (sum % 26));
}

function decodeOmocodic(char: string): number {
  const omocodic = OMOCODIC_LETTERS.indexOf(char);
  return omocodic >= 0 ? omocodic : Number(char);
}

/**
 * Whether `code` is a well-formed 16-character personal fiscal code whose check character matches.
 *
 * Checks the layout (surname and name letters, year, month letter, day with 40 added for women,
 * place code), omocodic letters in any digit position, and the check character. Expects upper case.
 */
export function isValidPersonalFiscalCode(code: string): boolean {
  if (!PERSONAL_CODE_SHAPE.test(code)) return false;
  const day = decodeOmocodic(code.charAt(9)) * 10 + decodeOmocodic(code.charAt(10));
  const dayOk = (day >= 1 && day <= 31) || (day >= 41 && day <= 71);
  return dayOk && personalFiscalCodeCheckCharacter(code.slice(0, 15)) === code.charAt(15);
}

/**
 * The check digit of the first 10 digits of a partita IVA or numeric fiscal code (a Luhn variant:
 * digits in even positions are doubled, 9 subtracted when the result exceeds 9).
 *
 * @param first10 - exactly 10 digits; other input gives a meaningless result.
 */
export function numericCodeCheckDigit(first10: string): string {
  let sum = 0;
  for (let position = 0; position < 10; position++) {
    const digit = first10.charCodeAt(position) - 48;
    if (position % 2 === 0) {
      sum += digit;
    } else {
      const doubled = digit * 2;
      sum += doubled > 9 ? doubled - 9 : doubled;
    }
  }
  return String((10 - (sum % 10)) % 10);
}

/** Whether `vat` is an 11-digit Italian partita IVA whose check digit matches. */
export function isValidVatNumber(vat: string): boolean {
  return /^[0-9]{11}$/.test(vat) && numericCodeCheckDigit(vat.slice(0, 10)) === vat.charAt(10);
}

/**
 * Whether `code` is an 11-digit numeric fiscal code (companies, associations, public bodies) whose
 * check digit matches. It uses the partita IVA algorithm: for most companies the two coincide.
 */
export function isValidNumericFiscalCode(code: string): boolean {
  return isValidVatNumber(code);
}
