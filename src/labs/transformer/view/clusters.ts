// Cluster count of the tokens through depth, for the page's "clusters over depth" chart (DOM-free).
// Clusters are the connected components of the graph linking two tokens of the same sequence when
// their distance is below eps (single linkage), eps = CLUSTER_REL_THRESHOLD * sigma0 where sigma0
// is the data scale: the root-mean-square distance of the layer-0 tokens to their sequence's mean,
// pooled over the batch. A fixed threshold (from X^0, not re-measured per layer) is what makes a
// falling count mean "tokens merge": the sphere-clustering flow shows it, the identity flow keeps
// n clusters. Cost n^2 d per sequence and layer; the page limits the number of sequences counted.

export const CLUSTER_REL_THRESHOLD = 0.1;

/** Flow state access: X^l (batch x rows x d) for l = 0..L. */
export type LayerStates = (l: number) => ArrayLike<number>;

/** RMS distance of the token rows (rows 0..n-1) of X^0 to their sequence's mean; 1 when degenerate. */
export function dataScale(X0: ArrayLike<number>, batch: number, n: number, rows: number, d: number): number {
  let s = 0;
  const mean = new Float64Array(d);
  for (let b = 0; b < batch; b++) {
    mean.fill(0);
    for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) mean[c] += X0[(b * rows + i) * d + c] / n;
    for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) s += (X0[(b * rows + i) * d + c] - mean[c]) ** 2;
  }
  const r = Math.sqrt(s / (batch * n));
  return Number.isFinite(r) && r > 0 ? r : 1;
}

/** Number of single-linkage clusters (distance < eps) of the n token rows of sequence b in X. */
export function clusterCount(X: ArrayLike<number>, b: number, n: number, rows: number, d: number, eps: number): number {
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  };
  let count = n;
  const e2 = eps * eps;
  const o = b * rows * d;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += (X[o + i * d + c] - X[o + j * d + c]) ** 2;
      // NaN distances (a blown-up state) link nothing.
      if (!(s < e2)) continue;
      const a = find(i);
      const z = find(j);
      if (a !== z) {
        parent[a] = z;
        count--;
      }
    }
  return count;
}

export interface ClusterProfile {
  eps: number;
  sigma0: number;
  /** L + 1 counts of the selected sequence. */
  selected: number[];
  /** L + 1 mean counts over `counted` sequences. */
  mean: number[];
  /** Sequences the mean is taken over (the first ones, always including the selected one). */
  counted: number;
  batch: number;
}

/** Most pairwise distances per profile (the mean over the batch is thinned to stay under it). */
export const CLUSTER_WORK_BUDGET = 4_000_000;

export function clusterProfile(states: LayerStates, L: number, batch: number, n: number, rows: number, d: number, selected: number): ClusterProfile {
  const sigma0 = dataScale(states(0), batch, n, rows, d);
  const eps = CLUSTER_REL_THRESHOLD * sigma0;
  const perSequence = Math.max(1, ((n * (n - 1)) / 2) * (L + 1));
  const counted = Math.max(1, Math.min(batch, Math.floor(CLUSTER_WORK_BUDGET / perSequence)));
  const seqs = Array.from({ length: counted }, (_, i) => i);
  if (!seqs.includes(selected)) seqs[seqs.length - 1] = selected;
  const sel: number[] = [];
  const mean: number[] = [];
  for (let l = 0; l <= L; l++) {
    const X = states(l);
    let sum = 0;
    for (const b of seqs) {
      const c = clusterCount(X, b, n, rows, d, eps);
      sum += c;
      if (b === selected) sel.push(c);
    }
    mean.push(sum / seqs.length);
  }
  return { eps, sigma0, selected: sel, mean, counted: seqs.length, batch };
}
