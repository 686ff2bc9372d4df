import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isValidNumericFiscalCode,
  isValidPersonalFiscalCode,
  isValidVatNumber,
  numericCodeCheckDigit,
  personalFiscalCodeCheckCharacter,
} from '../../functions/domain/fiscal-code.ts';

// Independent oracles, written from the Agenzia delle Entrate tables as literal maps rather than
// reusing the module's index arithmetic, so that a shared mistake is unlikely.
const ODD: Record<string, number> = {
  ...{ 0: 1, 1: 0, 2: 5, 3: 7, 4: 9, 5: 13, 6: 15, 7: 17, 8: 19, 9: 21 },
  ...{ A: 1, B: 0, C: 5, D: 7, E: 9, F: 13, G: 15, H: 17, I: 19, J: 21, K: 2, L: 4, M: 18 },
  ...{ N: 20, O: 11, P: 3, Q: 6, R: 8, S: 12, T: 14, U: 16, V: 10, W: 22, X: 25, Y: 24, Z: 23 },
};
const EVEN: Record<string, number> = Object.fromEntries([
  ...'0123456789'.split('').map((char, index) => [char, index]),
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('').map((char, index) => [char, index]),
]);
function oracleCheckCharacter(first15: string): string {
  let sum = 0;
  [...first15].forEach((char, index) => {
    sum += (index % 2 === 0 ? ODD[char] : EVEN[char]) ?? Number.NaN;
  });
  return 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.charAt(sum % 26);
}
function oracleVatCheckDigit(first10: string): string {
  const sum = [...first10].reduce((total, char, index) => {
    const digit = Number(char);
    if (index % 2 === 0) return total + digit;
    return total + ([0, 2, 4, 6, 8, 1, 3, 5, 7, 9][digit] ?? Number.NaN);
  }, 0);
  return String((10 - (sum % 10)) % 10);
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
const OMOCODIC = 'LMNPQRSTUV';
const letter = fc.constantFrom(...LETTERS);
const digit = fc.constantFrom(...DIGITS);

/** A well-formed personal code with its correct check character, omocodic in its `k` rightmost digit positions. */
const validPersonalCode = fc
  .record({
    names: fc.string({ unit: letter, minLength: 6, maxLength: 6 }),
    year: fc.integer({ min: 0, max: 99 }),
    month: fc.constantFrom(...'ABCDEHLMPRST'),
    day: fc.oneof(fc.integer({ min: 1, max: 31 }), fc.integer({ min: 41, max: 71 })),
    placeLetter: letter,
    placeNumber: fc.integer({ min: 0, max: 999 }),
    omocodic: fc.integer({ min: 0, max: 7 }),
  })
  .map(({ names, year, month, day, placeLetter, placeNumber, omocodic }) => {
    const chars = [
      ...`${names}${String(year).padStart(2, '0')}${month}${String(day).padStart(2, '0')}`,
      ...`${placeLetter}${String(placeNumber).padStart(3, '0')}`,
    ];
    // Digit positions, rightmost first: the order in which the Agenzia substitutes them.
    for (const position of [14, 13, 12, 10, 9, 7, 6].slice(0, omocodic)) {
      chars[position] = OMOCODIC.charAt(Number(chars[position]));
    }
    const first15 = chars.join('');
    return first15 + oracleCheckCharacter(first15);
  });

const validVat = fc
  .string({ unit: digit, minLength: 10, maxLength: 10 })
  .map((first10) => first10 + oracleVatCheckDigit(first10));

/** `code` with the character at `position` replaced by another one of `alphabet`. */
const withOneCharacterChanged = (code: string, alphabet: string) =>
  fc
    .record({ position: fc.integer({ min: 0, max: code.length - 1 }), replacement: fc.constantFrom(...alphabet) })
    .filter(({ position, replacement }) => code.charAt(position) !== replacement)
    .map(({ position, replacement }) => code.slice(0, position) + replacement + code.slice(position + 1));

describe('isValidPersonalFiscalCode', () => {
  it.each([
    'RSSMRA85T10A562S', // Mario Rossi, born in Rome on 10 December 1985 (the contract's example)
    'MRTMTT25D09F205Z', // Matteo Moretti, Milan, 9 April 1925: the example of the codice fiscale literature
  ])('accepts the published code %s', (code) => {
    expect(isValidPersonalFiscalCode(code)).toBe(true);
  });

  it('accepts omocodic variants whose check character is recomputed', () => {
    // 2 -> N in the last digit position, then 6 -> S as well.
    expect(personalFiscalCodeCheckCharacter('RSSMRA85T10A56N')).toBe('H');
    expect(isValidPersonalFiscalCode('RSSMRA85T10A56NH')).toBe(true);
    expect(isValidPersonalFiscalCode(`RSSMRA85T10A5SN${oracleCheckCharacter('RSSMRA85T10A5SN')}`)).toBe(true);
  });

  it('accepts a woman (day + 40)', () => {
    const first15 = 'RSSMRA85T50A562';
    expect(isValidPersonalFiscalCode(first15 + oracleCheckCharacter(first15))).toBe(true);
  });

  it.each([
    ['wrong check character', 'RSSMRA85T10A562T'],
    ['omocodic letter but old check character', 'RSSMRA85T10A56NS'],
    ['lower case', 'rssmra85t10a562s'],
    ['too short', 'RSSMRA85T10A562'],
    ['too long', 'RSSMRA85T10A562SS'],
    ['month letter F does not exist', `RSSMRA85F10A562${oracleCheckCharacter('RSSMRA85F10A562')}`],
    ['day 32', `RSSMRA85T32A562${oracleCheckCharacter('RSSMRA85T32A562')}`],
    ['day 00', `RSSMRA85T00A562${oracleCheckCharacter('RSSMRA85T00A562')}`],
    ['day 72', `RSSMRA85T72A562${oracleCheckCharacter('RSSMRA85T72A562')}`],
    ['non-omocodic letter in a digit position', `RSSMRA8AT10A562${oracleCheckCharacter('RSSMRA8AT10A562')}`],
    ['digit in the name letters', `R5SMRA85T10A562${oracleCheckCharacter('R5SMRA85T10A562')}`],
    ['numeric company code', '12345678903'],
    ['empty', ''],
  ])('rejects %s', (_reason, code) => {
    expect(isValidPersonalFiscalCode(code)).toBe(false);
  });

  it('agrees with the independent oracle on the check character of any well-formed code', () => {
    fc.assert(
      fc.property(validPersonalCode, (code) => {
        expect(personalFiscalCodeCheckCharacter(code.slice(0, 15))).toBe(code.charAt(15));
        expect(isValidPersonalFiscalCode(code)).toBe(true);
      }),
    );
  });

  it('detects any single-character change', () => {
    fc.assert(
      fc.property(
        validPersonalCode.chain((code) => withOneCharacterChanged(code, LETTERS + DIGITS)),
        (changed) => {
          expect(isValidPersonalFiscalCode(changed)).toBe(false);
        },
      ),
    );
  });
});

describe('isValidVatNumber', () => {
  it('accepts 12345678903', () => {
    expect(isValidVatNumber('12345678903')).toBe(true);
    expect(numericCodeCheckDigit('1234567890')).toBe('3');
  });

  it.each([
    ['wrong check digit', '12345678901'],
    ['10 digits', '1234567890'],
    ['12 digits', '123456789030'],
    ['country prefix', 'IT12345678903'],
    ['a letter', '1234567890A'],
    ['spaces', '123 456 789 03'],
  ])('rejects %s', (_reason, vat) => {
    expect(isValidVatNumber(vat)).toBe(false);
  });

  it('accepts every number whose check digit the independent oracle computes', () => {
    fc.assert(
      fc.property(validVat, (vat) => {
        expect(isValidVatNumber(vat)).toBe(true);
      }),
    );
  });

  it('detects any single-digit change', () => {
    fc.assert(
      fc.property(
        validVat.chain((vat) => withOneCharacterChanged(vat, DIGITS)),
        (changed) => {
          expect(isValidVatNumber(changed)).toBe(false);
        },
      ),
    );
  });
});

describe('isValidNumericFiscalCode', () => {
  it('uses the partita IVA check digit', () => {
    expect(isValidNumericFiscalCode('12345678903')).toBe(true);
    expect(isValidNumericFiscalCode('12345678904')).toBe(false);
    expect(isValidNumericFiscalCode('RSSMRA85T10A562S')).toBe(false);
  });

  it('detects any single-digit change', () => {
    fc.assert(
      fc.property(
        validVat.chain((code) => withOneCharacterChanged(code, DIGITS)),
        (changed) => {
          expect(isValidNumericFiscalCode(changed)).toBe(false);
        },
      ),
    );
  });
});
