// One way to list names in a message (snapshot-db, restore-db, the way-back check): at most ten,
// then how many more; a caller may show fewer.
import { describe, expect, it } from 'vitest';
import { someNames } from '../../src/db/catalog.js';

describe('someNames', () => {
  const names = Array.from({ length: 12 }, (_, i) => `t${i + 1}`);
  it('lists up to ten names, then counts the rest', () => {
    expect(someNames(names.slice(0, 10))).toBe('t1, t2, t3, t4, t5, t6, t7, t8, t9, t10');
    expect(someNames(names)).toBe('t1, t2, t3, t4, t5, t6, t7, t8, t9, t10 and 2 more');
    expect(someNames([])).toBe('');
  });
  it('shows as many as asked', () => {
    expect(someNames(names, 8)).toBe('t1, t2, t3, t4, t5, t6, t7, t8 and 4 more');
  });
});
