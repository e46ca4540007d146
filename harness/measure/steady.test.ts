import { describe, expect, it } from 'vitest';
import { evidenceOf, steadyHolds } from './steady.ts';

const every = (n: number, step: number, ok: (i: number) => boolean = () => true) =>
  Array.from({ length: n }, (_, i) => ({ t: i * step, badAt: i * step + 5, ok: ok(i) }));

describe('steadyHolds', () => {
  it('holds once every observer has enough good observations and no failure for the window', () => {
    const probes = evidenceOf('probes', every(20, 100), 0, 5);
    const writes = evidenceOf('writes', every(100, 20), 0, 1);
    expect(steadyHolds([probes, writes], 0, 1999, 1000)).toBe(true);
  });

  it('counts the window from the last failure of any observer', () => {
    const probes = evidenceOf('probes', every(20, 100), 0, 5);
    const writes = evidenceOf(
      'writes',
      every(100, 20, (i) => i !== 60),
      0,
      1,
    ); // write at t=1200 failed
    expect(steadyHolds([probes, writes], 0, 2000, 1000)).toBe(false);
    expect(steadyHolds([probes, writes], 0, 2300, 1000)).toBe(true);
  });

  it('does not hold without enough good observations after the last failure', () => {
    const probes = evidenceOf(
      'probes',
      every(20, 100, (i) => i < 17),
      0,
      5,
    ); // failures from t=1700
    expect(steadyHolds([probes], 0, 5000, 1000)).toBe(false);
  });

  it('ignores what happened before `since`', () => {
    const probes = evidenceOf(
      'probes',
      every(20, 100, (i) => i !== 2),
      1000,
      5,
    );
    expect(steadyHolds([probes], 1000, 2000, 1000)).toBe(true);
  });
});
