import { describe, expect, it } from 'vitest';
import { passwordProblems } from '../../functions/domain/password-policy.ts';

describe('passwordProblems', () => {
  it.each(['Correct-Horse7', 'Aa1!Aa1!Aa', 'Città-Più-Bella-2024', `Aa1!${'x'.repeat(124)}`, 'Pass word 12!'])(
    'accepts %j',
    (password) => {
      expect(passwordProblems(password)).toEqual([]);
    },
  );

  it.each([
    ['9 characters', 'Aa1!Aa1!A', /^Length: .*at least 10/],
    ['129 characters', `Aa1!${'x'.repeat(125)}`, /^Length: .*at most 128/],
    ['no lower case', 'CORRECT-HORSE7', /^Lower case:/],
    ['no upper case', 'correct-horse7', /^Upper case:/],
    ['no digit', 'Correct-Horse', /^Digit:/],
    ['no symbol', 'CorrectHorse7', /^Symbol:/],
    ['a leading space', ' Correct-Horse7', /^Whitespace:/],
    ['a trailing space', 'Correct-Horse7 ', /^Whitespace:/],
    ['a control character', 'Correct-\u0007Horse7', /^Control characters:/],
  ])('rejects a password with %s, naming the rule', (_reason, password, rule) => {
    const problems = passwordProblems(password);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(rule);
  });

  it('counts characters, not UTF-16 units', () => {
    // Nine characters but fourteen UTF-16 units: too short.
    expect(passwordProblems('Aa1!😀😀😀😀😀')).toEqual([expect.stringMatching(/^Length:/)]);
    expect(passwordProblems('Aa1!😀😀😀😀😀😀')).toEqual([]);
  });

  it('reports every broken rule at once', () => {
    expect(passwordProblems('abc').map((problem) => problem.split(':')[0])).toEqual([
      'Length',
      'Upper case',
      'Digit',
      'Symbol',
    ]);
    expect(passwordProblems('')).toHaveLength(5);
  });

  describe('with the mailbox address', () => {
    const context = { address: 'mario.rossi@pec.it' };

    it('rejects the local part, in any case', () => {
      const problems = passwordProblems('Xx1!Mario.Rossi', context);
      expect(problems).toEqual([expect.stringMatching(/^Address: .*"mario\.rossi"/)]);
    });

    it('rejects a part of the local part', () => {
      expect(passwordProblems('ROSSI-forever-1', context)).toEqual([expect.stringMatching(/^Address: .*"rossi"/)]);
    });

    it('accepts a password unrelated to the address', () => {
      expect(passwordProblems('Correct-Horse7', context)).toEqual([]);
    });

    it('ignores parts too short to be meaningful', () => {
      expect(passwordProblems('Correct-Horse7', { address: 'mr@pec.it' })).toEqual([]);
      expect(passwordProblems('Correct-Horse7', { address: 'co.rr@pec.it' })).toEqual([]);
    });

    it('is not confused by an address without @', () => {
      expect(passwordProblems('Correct-Horse7', { address: 'nonsense' })).toEqual([]);
    });
  });
});
