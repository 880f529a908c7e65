// The numerics self-test's shared pieces (DOM-free, no GPU types, so the library's public
// declarations can name KernelCheck): what one kernel check reports, how a check compares GPU
// output with its float64 reference, how a named kernel's output is perturbed so its check fails
// visibly, and the loop over labs used alike by the library (src/api/selftest.ts), the CLI
// (`flowlab selftest`) and the page's "Self-test" button (src/app/selftest-panel.ts).
//
// Each lab's src/labs/<lab>/selftest.ts runs every compute kernel of the lab at a small size on
// the user's adapter against the float64 reference, with the same tolerance model as the lab's
// test/gpu tests (the formulas live in the lab's src and the tests import them: one copy).

import { FieldError } from '../io/field-error';
import { mulberry32 } from '../math/mulberry32';

/** One kernel checked against its float64 reference. */
export interface KernelCheck {
  lab: string;
  /** The WGSL file checked, e.g. 'score-mixing/mixed-score' (shaders/score-mixing/mixed-score.wgsl). */
  kernel: string;
  /** The problem size, in a few words (e.g. '4 cases x 64 queries, d 2..8'). */
  size: string;
  /** Worst |gpu - reference| / tolerance over every compared value: <= 1 passes. */
  maxErrorOverTolerance: number;
  /** How the tolerance was derived, one line. */
  tolerance: string;
  pass: boolean;
  /** Wall-clock time of the check (GPU work, readbacks and the float64 reference). */
  ms: number;
}

export interface SelfTestOptions {
  /**
   * A kernel (KernelCheck.kernel) whose GPU output is perturbed before the comparison, by
   * PERTURB_TOLERANCES times its tolerance at the first compared value: its check must fail.
   * This is how the tests prove that a check can fail.
   */
  perturb?: string;
}

/** What a lab's selfTest member is, for any GPU context type G (GpuContext in lab.ts). */
export type LabSelfTest<G> = (gpu: G, options?: SelfTestOptions) => Promise<KernelCheck[]>;

/** How far a perturbed output is moved: this many tolerances, so the ratio is ~100 whatever the kernel. */
export const PERTURB_TOLERANCES = 100;

/** Float32 unit roundoff, the unit of every tolerance model. */
export const F32_EPS = 2 ** -24;

/** Worst |got_i - want_i| / tol(i); a NaN difference counts as Infinity. */
export function worstRatio(got: ArrayLike<number>, want: ArrayLike<number>, tol: (i: number) => number): number {
  let ratio = 0;
  for (let i = 0; i < got.length; i++) {
    const r = Math.abs(got[i] - want[i]) / tol(i);
    if (!(r <= ratio)) ratio = Number.isNaN(r) ? Infinity : r;
  }
  return ratio;
}

/** The larger of a running worst ratio and r, a NaN r counting as Infinity. */
export function worse(worst: number, r: number): number {
  return Number.isNaN(r) ? Infinity : Math.max(worst, r);
}

/**
 * When options.perturb names `kernel`, moves out[index] by PERTURB_TOLERANCES x `tolerance` (the
 * tolerance that value is compared with), in place; otherwise leaves `out` alone.
 */
export function applyPerturbation(options: SelfTestOptions | undefined, kernel: string, out: Float32Array | Float64Array, tolerance: number, index = 0): void {
  if (options?.perturb !== kernel || out.length === 0) return;
  out[index] += PERTURB_TOLERANCES * (tolerance > 0 && Number.isFinite(tolerance) ? tolerance : 1);
}

/** Times `compare` (which resolves to the worst error/tolerance ratio) into a KernelCheck. */
export async function timedCheck(
  fields: Omit<KernelCheck, 'maxErrorOverTolerance' | 'pass' | 'ms'>,
  compare: () => Promise<number>,
): Promise<KernelCheck> {
  const start = performance.now();
  const ratio = await compare();
  const maxErrorOverTolerance = Number.isNaN(ratio) ? Infinity : ratio;
  return { ...fields, maxErrorOverTolerance, pass: maxErrorOverTolerance <= 1, ms: performance.now() - start };
}

/** What runLabSelfTests needs of a lab (LabDefinition fits). */
export interface SelfTestableLab<G> {
  id: string;
  selfTest: LabSelfTest<G>;
}

export interface RunLabSelfTestsOptions extends SelfTestOptions {
  /** Lab ids to test (default: every lab). */
  labs?: readonly string[];
  /** Called after each lab's checks (the page's progress line). */
  onLab?: (lab: string, checks: KernelCheck[]) => void;
}

/**
 * Runs the self-test of the chosen labs one after the other on `gpu`. Throws FieldError for an
 * unknown lab id ('labs') or a perturb naming no kernel of the labs run ('perturb').
 */
export async function runLabSelfTests<G>(
  all: readonly SelfTestableLab<G>[],
  gpu: G,
  options: RunLabSelfTestsOptions = {},
): Promise<KernelCheck[]> {
  const ids = all.map((l) => l.id);
  const chosen = options.labs ?? ids;
  for (const [i, id] of chosen.entries()) {
    if (!ids.includes(id)) throw new FieldError(`labs[${i}]`, id, `one of ${ids.join(', ')}`);
  }
  const checks: KernelCheck[] = [];
  for (const lab of all.filter((l) => chosen.includes(l.id))) {
    const labChecks = await lab.selfTest(gpu, { perturb: options.perturb });
    checks.push(...labChecks);
    options.onLab?.(lab.id, labChecks);
  }
  if (options.perturb !== undefined && !checks.some((c) => c.kernel === options.perturb)) {
    throw new FieldError('perturb', options.perturb, `a kernel of the labs tested: ${checks.map((c) => c.kernel).join(', ')}`);
  }
  return checks;
}

/** One line for a badge or a summary: "self-test ✓ 12/12" or "self-test ✗ 2 failed". */
export function selfTestSummary(checks: readonly KernelCheck[]): string {
  const failed = checks.filter((c) => !c.pass).length;
  return failed === 0 ? `self-test ✓ ${checks.length}/${checks.length}` : `self-test ✗ ${failed} failed`;
}

/** The ratio as the table prints it: 3 significant digits, "inf" / "NaN" spelled out. */
export function formatRatio(r: number): string {
  if (!Number.isFinite(r)) return Number.isNaN(r) ? 'NaN' : 'inf';
  return r === 0 ? '0' : r < 1e-3 || r >= 1e4 ? r.toExponential(2) : r.toPrecision(3);
}

/** A small deterministic PRNG for self-test inputs (mulberry32, as the GPU tests' testRandom). */
export const selfTestRandom = mulberry32;
