import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAdmission } from './admission.js';

describe('createAdmission', () => {
  it('admits up to its capacity, refuses the next with at_capacity, and admits again after a release', () => {
    const gate = createAdmission(2);
    const a = gate.enter();
    const b = gate.enter();
    expect(gate.inUse).toBe(2);
    expect(() => gate.enter()).toThrow(expect.objectContaining({ code: 'at_capacity' }) as Error);
    a();
    a(); // a second release is a no-op
    expect(gate.inUse).toBe(1);
    const c = gate.enter();
    expect(gate.inUse).toBe(2);
    b();
    c();
    expect(gate.inUse).toBe(0);
  });

  it('never holds more than its capacity or fewer than zero, whatever the order of enters and releases', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.nat({ max: 9 }), { maxLength: 60 }), (cap, ops) => {
        const gate = createAdmission(cap);
        const held: (() => void)[] = [];
        for (const op of ops) {
          if (op < 5) {
            if (held.length < cap) held.push(gate.enter());
            else expect(() => gate.enter()).toThrow();
          } else {
            // Release one (twice: the second must not count).
            const r = held.splice(op % Math.max(1, held.length), 1)[0];
            r?.();
            r?.();
          }
          expect(gate.inUse).toBe(held.length);
        }
      }),
    );
  });

  it('refuses a capacity below 1', () => {
    expect(() => createAdmission(0)).toThrow(/≥ 1/);
    expect(() => createAdmission(1.5)).toThrow(/≥ 1/);
  });
});
