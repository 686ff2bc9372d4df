import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compactCreditorReference,
  creditorReference,
  findCreditorReference,
  formatCreditorReference,
  isValidCreditorReference,
} from '../../functions/domain/creditor-reference.ts';
import { ORDER_ID_LENGTH, orderIdOfReference } from '../../functions/domain/order.ts';

/** ISO 7064 MOD 97-10 remainder computed with BigInt over the whole expanded number, as the standard states it. */
function oracleMod97(alphanumeric: string): bigint {
  const digits = [...alphanumeric].map((char) => String(Number.parseInt(char, 36))).join('');
  return BigInt(digits) % 97n;
}

const ALPHANUMERIC = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const reference = fc.string({ unit: fc.constantFrom(...ALPHANUMERIC), minLength: 1, maxLength: 21 });

/**
 * A valid reference with one character at index >= 2 (check digits or reference) replaced by a different
 * one of `alphabet`; undefined when there is no such character. Computed in one `map` so that shrinking
 * keeps every counterexample a genuine single substitution.
 */
const withOneSubstitution = (alphabet: string) =>
  fc
    .tuple(reference, fc.nat(), fc.integer({ min: 1, max: alphabet.length - 1 }))
    .map(([ref, pick, shift]) => {
      const rf = creditorReference(ref);
      const positions = [...rf].flatMap((char, index) => (index >= 2 && alphabet.includes(char) ? [index] : []));
      const position = positions[pick % Math.max(positions.length, 1)];
      if (position === undefined) return undefined;
      const replacement = alphabet.charAt((alphabet.indexOf(rf.charAt(position)) + shift) % alphabet.length);
      return rf.slice(0, position) + replacement + rf.slice(position + 1);
    })
    .filter((typo): typo is string => typo !== undefined);

/** A valid reference with two different adjacent digits (check digits included) swapped. */
const withAdjacentDigitsSwapped = fc
  .tuple(reference, fc.nat())
  .map(([ref, pick]) => {
    const rf = creditorReference(ref);
    const swappable = [...rf.slice(0, -1)].flatMap((char, index) => {
      const next = rf.charAt(index + 1);
      return index >= 2 && DIGITS.includes(char) && DIGITS.includes(next) && char !== next ? [index] : [];
    });
    const i = swappable[pick % Math.max(swappable.length, 1)];
    if (i === undefined) return undefined;
    return rf.slice(0, i) + rf.charAt(i + 1) + rf.charAt(i) + rf.slice(i + 2);
  })
  .filter((typo): typo is string => typo !== undefined);

describe('creditorReference', () => {
  it('computes the published example RF18 5390 0754 7034', () => {
    expect(creditorReference('539007547034')).toBe('RF18539007547034');
  });

  it('pads check digits below 10 with a zero', () => {
    expect(creditorReference('0')).toBe('RF040');
    expect(oracleMod97('0RF04')).toBe(1n);
  });

  it.each([
    ['empty', ''],
    ['22 characters', '1234567890123456789012'],
    ['lower case', 'abc123'],
    ['a space', '5390 0754'],
    ['a hyphen', 'ORD-1'],
  ])('throws a RangeError for a reference that is %s', (_reason, input) => {
    expect(() => creditorReference(input)).toThrow(RangeError);
  });

  it('accepts 21 characters, the maximum', () => {
    expect(creditorReference('A'.repeat(21))).toHaveLength(25);
  });

  it('gives check digits that the independent BigInt computation confirms, for any reference', () => {
    fc.assert(
      fc.property(reference, (ref) => {
        const rf = creditorReference(ref);
        expect(rf.slice(0, 2)).toBe('RF');
        expect(rf.slice(4)).toBe(ref);
        const check = Number(rf.slice(2, 4));
        expect(check).toBeGreaterThanOrEqual(2);
        expect(check).toBeLessThanOrEqual(98);
        expect(oracleMod97(`${ref}RF${rf.slice(2, 4)}`)).toBe(1n);
      }),
    );
  });
});

describe('formatCreditorReference', () => {
  it('groups by four', () => {
    expect(formatCreditorReference('RF18539007547034')).toBe('RF18 5390 0754 7034');
    expect(formatCreditorReference('RF712348231')).toBe('RF71 2348 231');
  });

  it('reformats an already formatted or lower-case reference', () => {
    expect(formatCreditorReference('rf18 5390 07547034')).toBe('RF18 5390 0754 7034');
  });
});

describe('isValidCreditorReference', () => {
  it.each(['RF18539007547034', 'RF18 5390 0754 7034', 'rf18 5390 0754 7034', ' RF18539007547034 '])(
    'accepts %j',
    (input) => {
      expect(isValidCreditorReference(input)).toBe(true);
    },
  );

  it.each([
    ['wrong check digits', 'RF19539007547034'],
    ['a typo in the reference', 'RF18539007547035'],
    ['swapped digits', 'RF18539007545734'],
    ['no reference', 'RF18'],
    ['not RF', 'RS18539007547034'],
    ['a reference over 21 characters', `RF00${'1'.repeat(22)}`],
    ['punctuation', 'RF18-5390-0754-7034'],
    ['empty', ''],
  ])('rejects %s', (_reason, input) => {
    expect(isValidCreditorReference(input)).toBe(false);
  });

  it('round-trips any reference through compute, format and compact', () => {
    fc.assert(
      fc.property(reference, (ref) => {
        const rf = creditorReference(ref);
        const printed = formatCreditorReference(rf);
        expect(isValidCreditorReference(rf)).toBe(true);
        expect(isValidCreditorReference(printed)).toBe(true);
        expect(isValidCreditorReference(printed.toLowerCase())).toBe(true);
        expect(compactCreditorReference(printed)).toBe(rf);
        expect(printed.split(' ').every((group) => group.length <= 4)).toBe(true);
      }),
    );
  });

  it('detects any single-digit typo', () => {
    fc.assert(
      fc.property(withOneSubstitution(DIGITS), (typo) => {
        expect(isValidCreditorReference(typo)).toBe(false);
      }),
    );
  });

  it('detects any single-letter typo', () => {
    fc.assert(
      fc.property(withOneSubstitution(LETTERS), (typo) => {
        expect(isValidCreditorReference(typo)).toBe(false);
      }),
    );
  });

  it('detects any swap of two different adjacent digits', () => {
    fc.assert(
      fc.property(withAdjacentDigitsSwapped, (typo) => {
        expect(isValidCreditorReference(typo)).toBe(false);
      }),
    );
  });
});

describe('findCreditorReference', () => {
  const isOrderReference = (rf: string) => orderIdOfReference(rf) !== undefined;

  it.each([
    ['the compact form', 'RF18539007547034', 'RF18539007547034'],
    ['the printed form amid words', 'Saldo ordine RF18 5390 0754 7034 grazie', 'RF18539007547034'],
    ['lower case, grouped otherwise', 'pagamento rf 18 53900 7547034', 'RF18539007547034'],
    ['after punctuation', 'causale:RF18-5390-0754-7034.', 'RF18539007547034'],
  ])('finds a reference typed in %s', (_how, text, expected) => {
    expect(findCreditorReference(text)).toBe(expected);
  });

  it.each([
    ['no reference', 'Bonifico per abbonamento annuale'],
    ['a typo', 'RF18 5390 0754 7035'],
    ['RF inside a word', 'XRF18539007547034'],
    ['words starting with RF that are no reference', 'RFID RF1 rfx'],
    ['empty text', ''],
  ])('finds nothing in text with %s', (_what, text) => {
    expect(findCreditorReference(text)).toBeUndefined();
  });

  it('takes the first valid reference of the text', () => {
    expect(findCreditorReference('RF19 0000 then RF18 5390 0754 7034 and RF712348231')).toBe('RF18539007547034');
  });

  it('with `fits`, takes only a reference of the wanted kind, so a word after it is not taken into it', () => {
    // RF157Q2M9XK4PA1CDOC has valid check digits too: the word "doc" would be taken into the reference.
    const text = 'rf15 7q2m 9xk4 pa1c doc allegato';
    expect(findCreditorReference(text)).toBe('RF157Q2M9XK4PA1CDOC');
    expect(findCreditorReference(text, isOrderReference)).toBe('RF157Q2M9XK4PA1C');
  });

  it('finds any order reference however it is typed amid other words', () => {
    const orderId = fc.string({
      unit: fc.constantFrom(...'0123456789ABCDEFGHJKMNPQRSTVWXYZ'),
      minLength: ORDER_ID_LENGTH,
      maxLength: ORDER_ID_LENGTH,
    });
    const filler = fc.array(
      fc.constantFrom('saldo', 'ordine', 'PEC', 'n.', '2026', 'grazie', 'Rossi', '-', 'casella'),
      {
        maxLength: 4,
      },
    );
    const typed = fc.constantFrom(
      (rf: string) => rf,
      (rf: string) => formatCreditorReference(rf),
      (rf: string) => formatCreditorReference(rf).toLowerCase(),
      (rf: string) => `${rf.slice(0, 2)} ${rf.slice(2, 4)} ${rf.slice(4)}`.toLowerCase(),
    );
    fc.assert(
      fc.property(orderId, filler, filler, typed, (id, before, after, type) => {
        const rf = creditorReference(id);
        const text = [...before, type(rf), ...after].join(' ');
        expect(findCreditorReference(text, isOrderReference)).toBe(rf);
      }),
    );
  });
});
