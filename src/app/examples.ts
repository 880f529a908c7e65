// The example inputs in public/examples/ (Vite copies them into the built page), offered as
// downloads in the "?" dialog and named in the README. test/unit/examples.test.ts checks that this
// list and the folder agree and that every file parses with the parser its kind names.

export type ExampleKind =
  /** A whole config: `flowlab run <lab> --config <file>`, or runLab(lab, JSON.parse(text)). */
  | 'config'
  /** A point set for the score-mixing page's import buttons (JSON or CSV). */
  | 'point-set'
  /** A token file for the transformer page's "Import tokens…" (B × n × d). */
  | 'tokens'
  /** {"A", "b", "objective"} for the primal-dual page's problem import. */
  | 'problem';

export interface ExampleFile {
  file: string;
  lab: string;
  kind: ExampleKind;
  description: string;
}

export const EXAMPLE_FILES: readonly ExampleFile[] = [
  { file: 'score-mixing.json', lab: 'score-mixing', kind: 'config', description: 'config: five weighted atoms vs two, λ = 2 (guidance)' },
  { file: 'score-mixing-points.json', lab: 'score-mixing', kind: 'point-set', description: 'point set: six weighted atoms on a circle' },
  { file: 'score-mixing-points.csv', lab: 'score-mixing', kind: 'point-set', description: 'the same point set as CSV (x0, x1, w)' },
  { file: 'primal-dual.json', lab: 'primal-dual', kind: 'config', description: 'config: the test instance at α = 4, θ = 5/12, 16 trajectories' },
  { file: 'primal-dual-problem.json', lab: 'primal-dual', kind: 'problem', description: 'problem: A (3 × 6), b and a Hölder objective' },
  { file: 'transformer.json', lab: 'transformer', kind: 'config', description: 'config: teacher → student, 100 iterations, NTK test' },
  { file: 'transformer-tokens.json', lab: 'transformer', kind: 'tokens', description: 'tokens: 4 sequences of 6 tokens in R²' },
  { file: 'bilevel.json', lab: 'bilevel', kind: 'config', description: 'config: the QP family perturbed (ε = 0.2), N = 256' },
];

/** Where the page serves an example (relative: the page is built with base './'). */
export function exampleHref(e: ExampleFile): string {
  return `examples/${e.file}`;
}
