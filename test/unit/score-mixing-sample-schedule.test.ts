// The distance chart's sample schedule: fixed steps evenly spaced in tau, and the splitting of a
// frame's steps at them, so every scheduled sample is taken exactly once at any speed.

import { describe, expect, it } from 'vitest';
import { planAdvance, planStops, SampleSchedule, type FrameOp } from '../../src/labs/score-mixing/view/sample-schedule';

/** Run a whole schedule at `speed` steps per frame; returns the step of each sample taken, in order. */
function simulate(schedule: SampleSchedule, speed: number, from = 0, slot = schedule.slotAtOrAfter(from)): { sampled: number[]; frames: number } {
  let k = from;
  let next = slot;
  const sampled: number[] = [];
  let frames = 0;
  for (; frames < 100_000; frames++) {
    const plan = planAdvance(schedule, next, k, speed);
    for (const op of plan.ops) {
      if ('steps' in op) {
        expect(op.steps).toBeGreaterThan(0);
        k += op.steps;
      } else {
        expect(schedule.steps[op.sample]).toBe(k); // sampled exactly at its step
        sampled.push(k);
      }
    }
    next = plan.next;
    if (k >= schedule.K && next >= schedule.size) break;
  }
  return { sampled, frames };
}

describe('SampleSchedule', () => {
  it('has min(K + 1, 96) distinct increasing steps, first 0 and last K', () => {
    for (const K of [1, 2, 5, 40, 95, 96, 160, 400, 10_000]) {
      const s = new SampleSchedule(K);
      expect(s.size).toBe(Math.min(K + 1, 96));
      expect(s.steps[0]).toBe(0);
      expect(s.steps[s.size - 1]).toBe(K);
      for (let j = 1; j < s.size; j++) expect(s.steps[j]).toBeGreaterThan(s.steps[j - 1]);
    }
  });

  it('slotAtOrAfter finds where a restored run resumes', () => {
    const s = new SampleSchedule(160);
    expect(s.slotAtOrAfter(0)).toBe(0);
    expect(s.slotAtOrAfter(160)).toBe(s.size - 1);
    expect(s.slotAtOrAfter(161)).toBe(s.size);
    for (const k of [1, 7, 50, 159]) {
      const j = s.slotAtOrAfter(k);
      expect(s.steps[j]).toBeGreaterThanOrEqual(k);
      expect(s.steps[j - 1]).toBeLessThan(k);
    }
  });
});

describe('planAdvance', () => {
  it('takes every scheduled sample exactly once, whatever the speed', () => {
    const s = new SampleSchedule(160);
    for (const speed of [1, 2, 3, 7, 32, 64, 1000]) {
      const { sampled, frames } = simulate(s, speed);
      expect(sampled, `speed ${speed}`).toEqual(s.steps);
      expect(frames).toBe(Math.max(0, Math.ceil(160 / speed) - 1));
    }
  });

  it('splits one frame at the sample steps and clamps at K', () => {
    const s = new SampleSchedule(10, 3); // steps 0, 5, 10
    expect(s.steps).toEqual([0, 5, 10]);
    const ops: FrameOp[] = [{ sample: 0 }, { steps: 5 }, { sample: 1 }, { steps: 5 }, { sample: 2 }];
    expect(planAdvance(s, 0, 0, 32)).toEqual({ ops, next: 3 });
    expect(planAdvance(s, 1, 2, 2)).toEqual({ ops: [{ steps: 2 }], next: 1 });
    expect(planAdvance(s, 1, 4, 2)).toEqual({ ops: [{ steps: 1 }, { sample: 1 }, { steps: 1 }], next: 2 });
    expect(planAdvance(s, 3, 10, 5)).toEqual({ ops: [], next: 3 });
  });

  it('zero steps still takes a pending sample of the current state, once', () => {
    const s = new SampleSchedule(10, 3);
    expect(planAdvance(s, 0, 0, 0)).toEqual({ ops: [{ sample: 0 }], next: 1 });
    expect(planAdvance(s, 1, 0, 0)).toEqual({ ops: [], next: 1 });
    expect(planAdvance(s, 2, 10, 0)).toEqual({ ops: [{ sample: 2 }], next: 3 });
  });

  it('a run restored mid-way samples from the restored step on', () => {
    const s = new SampleSchedule(160);
    const from = 57;
    const { sampled } = simulate(s, 32, from);
    expect(sampled).toEqual(s.steps.filter((k) => k >= from));
  });

  it('never samples at the wrong step when `next` lags behind', () => {
    const s = new SampleSchedule(10, 3);
    expect(planAdvance(s, 0, 7, 10)).toEqual({ ops: [{ steps: 3 }, { sample: 2 }], next: 3 });
  });
});

describe('planStops: the chart schedule and the record schedule in one frame', () => {
  it('splits at the steps of both, each copy once and in step order, at any speed', () => {
    const chart = new SampleSchedule(20, 3); // 0, 10, 20
    const record = SampleSchedule.recording(20, 6); // 0, 4, 8, 12, 16, 20
    expect(record.steps).toEqual([0, 4, 8, 12, 16, 20]);
    expect(planStops([chart, record], [0, 0], 0, 9)).toEqual({
      ops: [{ sample: 0, of: 0 }, { sample: 0, of: 1 }, { steps: 4 }, { sample: 1, of: 1 }, { steps: 4 }, { sample: 2, of: 1 }, { steps: 1 }],
      next: [1, 3],
    });
    for (const speed of [1, 3, 7, 50]) {
      let k = 0;
      let next = [0, 0];
      const taken: [number, number][] = [];
      while (k < 20 || next[0] < chart.size || next[1] < record.size) {
        const plan = planStops([chart, record], next, k, speed);
        for (const op of plan.ops) {
          if ('steps' in op) k += op.steps;
          else {
            expect([chart, record][op.of].steps[op.sample]).toBe(k);
            taken.push([op.of, op.sample]);
          }
        }
        next = plan.next;
      }
      expect(taken.filter(([of]) => of === 0).map(([, j]) => j)).toEqual([0, 1, 2]);
      expect(taken.filter(([of]) => of === 1).map(([, j]) => j)).toEqual([0, 1, 2, 3, 4, 5]);
    }
  });

  it('takes every slot of a repeated step, and a record schedule refuses steps out of order', () => {
    const s = new SampleSchedule(2, [0, 1, 1, 2]);
    expect(planStops([s], [0], 0, 5).ops).toEqual([{ sample: 0, of: 0 }, { steps: 1 }, { sample: 1, of: 0 }, { sample: 2, of: 0 }, { steps: 1 }, { sample: 3, of: 0 }]);
    expect(() => new SampleSchedule(4, [0, 3, 2])).toThrow(/non-decreasing/);
    expect(() => new SampleSchedule(4, [0, 5])).toThrow(/\[0, 4\]/);
  });
});
