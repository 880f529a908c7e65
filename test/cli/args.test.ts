import { describe, expect, it } from 'vitest';
import { UsageError, parseArgs, parseSetValue, setPath, splitPath } from '../../src/cli/args';
import { backendRequest } from '../../src/cli/backend';
import { ProgressReporter } from '../../src/cli/progress';

describe('parseArgs', () => {
  it('reads command, positionals, value flags, --flag=value and repeated --set', () => {
    const a = parseArgs(['run', 'score-mixing', '--config', 'c.json', '--out=r.npz', '--set', 'lambda=2', '--set', 'particles.count=10', '-q']);
    expect(a.command).toBe('run');
    expect(a.positionals).toEqual(['score-mixing']);
    expect(a.flags.get('config')).toBe('c.json');
    expect(a.flags.get('out')).toBe('r.npz');
    expect(a.flags.get('quiet')).toBe('true');
    expect(a.sets).toEqual([
      { path: 'lambda', value: '2' },
      { path: 'particles.count', value: '10' },
    ]);
  });

  it('rejects unknown options, missing values and malformed --set', () => {
    expect(() => parseArgs(['run', '--nope'])).toThrow(UsageError);
    expect(() => parseArgs(['run', '--out'])).toThrow(/--out needs a value/);
    expect(() => parseArgs(['run', '--set', 'lambda'])).toThrow(/key=value/);
  });
});

describe('--set', () => {
  it('parses JSON values, else keeps the string', () => {
    expect(parseSetValue('2')).toBe(2);
    expect(parseSetValue('[[0,1]]')).toEqual([[0, 1]]);
    expect(parseSetValue('sde')).toBe('sde');
    expect(parseSetValue('"ode"')).toBe('ode');
  });

  it('sets nested paths with array indices', () => {
    expect(splitPath('mu1.points[2][1]')).toEqual(['mu1', 'points', 2, 1]);
    const o: Record<string, unknown> = { mu1: { points: [[0, 0], [1, 1], [2, 2]] } };
    setPath(o, 'mu1.points[2][1]', 9);
    setPath(o, 'particles.count', 5);
    setPath(o, 'lambda', 3);
    expect(o).toEqual({ mu1: { points: [[0, 0], [1, 1], [2, 9]] }, particles: { count: 5 }, lambda: 3 });
    expect(() => splitPath('a..b[')).toThrow(UsageError);
  });
});

describe('backend request', () => {
  it('flag wins over FLOWLAB_BACKEND; default auto; bad values are named', () => {
    expect(backendRequest(undefined, undefined)).toBe('auto');
    expect(backendRequest(undefined, 'CPU')).toBe('cpu');
    expect(backendRequest('gpu', 'cpu')).toBe('gpu');
    expect(() => backendRequest(undefined, 'tpu')).toThrow(/FLOWLAB_BACKEND: got "tpu"; allowed: one of auto, gpu, cpu/);
    expect(() => backendRequest('x', undefined)).toThrow(/--backend/);
  });
});

describe('progress', () => {
  it('prints one line per 10% when stderr is not a terminal', () => {
    const out: string[] = [];
    const p = new ProgressReporter('run', { isTTY: false, write: (s: string) => out.push(s) });
    for (let i = 0; i <= 100; i++) p.update(i / 100);
    p.done();
    expect(out).toHaveLength(11);
    expect(out[0]).toMatch(/^run: 0% /);
    expect(out[10]).toMatch(/^run: 100% /);
  });

  it('redraws a bar in place on a terminal', () => {
    const out: string[] = [];
    const p = new ProgressReporter('run', { isTTY: true, columns: 80, write: (s: string) => out.push(s) });
    p.update(0.5);
    p.done();
    expect(out[0]).toMatch(/^\rrun \[#+\.+\]\s+50%/);
    expect(out.at(-1)).toBe('\n');
  });
});
