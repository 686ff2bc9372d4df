import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { illFormedTextPath, parseJsonText } from '../../functions/domain/json-text.ts';

describe('parseJsonText', () => {
  it('parses JSON', () => {
    expect(parseJsonText('{"a":[1,"λ 😀"]}')).toEqual({ ok: true, value: { a: [1, 'λ 😀'] } });
  });

  it.each(['', '{', '{"a":1,}', 'undefined', "{'a':1}", '"\\x41"'])('refuses %j as not JSON', (text) => {
    expect(parseJsonText(text)).toEqual({ ok: false, path: [], message: 'The body is not valid JSON.' });
  });

  it('names where a lone surrogate is, as a value or as a key', () => {
    expect(parseJsonText('{"holder":{"firstName":"Mario\\ud800"}}')).toEqual({
      ok: false,
      path: ['holder', 'firstName'],
      message: 'The text is not valid Unicode.',
    });
    expect(parseJsonText('{"items":[{"\\udfff":1}]}')).toMatchObject({ ok: false, path: ['items', 0] });
    expect(parseJsonText('"\\ud83d"')).toMatchObject({ ok: false, path: [] });
    // A surrogate pair is one character, and fine.
    expect(parseJsonText('"\\ud83d\\ude00"')).toEqual({ ok: true, value: '😀' });
  });

  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.json()), (text) => {
        const result = parseJsonText(text);
        expect(typeof result.ok).toBe('boolean');
      }),
    );
  });
});

describe('illFormedTextPath', () => {
  it('walks documents far deeper than the call stack', () => {
    let deep: unknown = 'x\udc00';
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(illFormedTextPath(deep)).toHaveLength(200_000);
  });

  it('finds nothing in well-formed documents', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(illFormedTextPath(value)).toBeUndefined();
      }),
    );
  });
});
