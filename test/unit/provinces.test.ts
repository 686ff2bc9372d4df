import { describe, expect, it } from 'vitest';
import { isProvinceCode, PROVINCE_CODES } from '../../functions/domain/provinces.ts';

describe('PROVINCE_CODES', () => {
  it('lists the 107 current provinces and metropolitan cities', () => {
    expect(PROVINCE_CODES.size).toBe(107);
    for (const code of PROVINCE_CODES) expect(code).toMatch(/^[A-Z]{2}$/);
  });

  it.each(['AR', 'RM', 'MI', 'MB', 'BT', 'FM', 'SU', 'AO', 'BZ', 'TN', 'KR', 'VV', 'CA', 'PU', 'FC', 'VB'])(
    'includes %s',
    (code) => {
      expect(isProvinceCode(code)).toBe(true);
    },
  );

  it.each(['VS', 'CI', 'OG', 'OT', 'FO', 'PS', 'EE', 'XX', 'rm', 'R', 'ROM', ''])('excludes %j', (code) => {
    expect(isProvinceCode(code)).toBe(false);
  });
});
