// Point sets of the score-mixing lab (src/labs/score-mixing/point-sets.ts): JSON and CSV import
// and export, with errors that name the field (JSON path, or CSV line and column).

import { describe, expect, it } from 'vitest';
import { fieldError } from '../support/field-errors';
import { parsePointSetCsv, parsePointSetFile, parsePointSetJson, pointSetToCsv, pointSetToJson } from '../../src/labs/score-mixing/point-sets';

const fieldOf = (fn: () => unknown): string => fieldError(fn, undefined).field;

describe('point sets', () => {
  it('reads JSON objects and bare arrays', () => {
    expect(parsePointSetJson('{"points": [[0, 1], [2, 3]], "weights": [1, 3]}')).toEqual({ points: [[0, 1], [2, 3]], weights: [1, 3] });
    expect(parsePointSetJson('[[1], [2]]')).toEqual({ points: [[1], [2]] });
  });

  it('names the field in JSON errors', () => {
    expect(fieldOf(() => parsePointSetJson('[[0, 1], [2]]', 'mu1'))).toBe('mu1[1]');
    expect(fieldOf(() => parsePointSetJson('{"points": [[0, 1], [2, "a"]]}', 'mu1'))).toBe('mu1.points[1][1]');
    expect(fieldOf(() => parsePointSetJson('{"points": [[0]], "weights": [0]}', 'mu1'))).toBe('mu1.weights[0]');
    expect(fieldOf(() => parsePointSetJson('{"points": [[0]], "weights": [1, 2]}', 'mu1'))).toBe('mu1.weights');
    expect(fieldOf(() => parsePointSetJson('{"points": [[0]], "colour": 1}', 'mu1'))).toBe('mu1.colour');
    expect(fieldOf(() => parsePointSetJson('[[1,2,3,4,5,6,7,8,9]]', 'mu1'))).toBe('mu1[0]');
    expect(fieldOf(() => parsePointSetJson('[]', 'mu1'))).toBe('mu1');
    expect(fieldOf(() => parsePointSetJson('nope', 'mu1'))).toBe('mu1');
  });

  it('reads CSV with or without a header, with an optional weight column', () => {
    expect(parsePointSetCsv('0,1\n2,3\n')).toEqual({ points: [[0, 1], [2, 3]] });
    expect(parsePointSetCsv('# comment\nx,y,w\n0,1,0.5\n\n2,3,1.5\n')).toEqual({ points: [[0, 1], [2, 3]], weights: [0.5, 1.5] });
  });

  it('reads quoted CSV cells (RFC 4180, as d3-dsv splits them)', () => {
    expect(parsePointSetCsv('"x","y"\n"1","2"\n" 3 ",4\n')).toEqual({ points: [[1, 2], [3, 4]] });
  });

  it('names line and column in CSV errors', () => {
    expect(fieldOf(() => parsePointSetCsv('x,y\n0,1\n2,oops\n', 'a.csv'))).toBe('a.csv line 3 column 2');
    expect(fieldOf(() => parsePointSetCsv('0,1\n2\n', 'a.csv'))).toBe('a.csv line 2');
    expect(fieldOf(() => parsePointSetCsv('x,w\n1,-1\n', 'a.csv'))).toBe('a.csv line 2 column 2 (weight)');
    expect(fieldOf(() => parsePointSetCsv('x,y\n', 'a.csv'))).toBe('a.csv');
  });

  it('exports JSON and CSV that import back', () => {
    const ps = { points: [[0.5, -1], [2, 1e-9]], weights: [1, 2] };
    expect(parsePointSetJson(pointSetToJson(ps))).toEqual(ps);
    expect(parsePointSetCsv(pointSetToCsv(ps))).toEqual(ps);
    expect(parsePointSetFile('p.csv', pointSetToCsv({ points: [[1, 2]] }))).toEqual({ points: [[1, 2]] });
  });
});
