// The declared search space: each knob becomes an ordered list of values the offline proposer steps through.
import type { Json, SearchKnob } from '../spec/types';

export function knobValues(knob: SearchKnob): Json[] {
  if (knob.values) return knob.values;
  const [lo, hi] = knob.range ?? [0, 1];
  const steps = knob.steps ?? 4;
  const out: Json[] = [];
  for (let i = 0; i < steps; i++) {
    const f = i / (steps - 1);
    let v = knob.scale === 'log' ? Math.exp(Math.log(lo) + f * (Math.log(hi) - Math.log(lo))) : lo + f * (hi - lo);
    v = knob.type === 'int' ? Math.round(v) : Number(v.toPrecision(3));
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

/** Index of a value in the knob's list, matching numbers by value (1e-3 equals 0.001). */
export function valueIndex(values: Json[], v: Json | undefined): number {
  const key = JSON.stringify(v);
  return values.findIndex((x) => JSON.stringify(x) === key || (typeof x === 'number' && typeof v === 'number' && Math.abs(x - v) <= 1e-12 * Math.max(1, Math.abs(x))));
}

