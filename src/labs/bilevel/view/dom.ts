// Tiny DOM helpers of the bilevel page (the shell's dom.ts is app code; labs keep their own).

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
}

/** 4 significant digits, exponent outside [1e-3, 1e4), "∞" for +Infinity. */
export function num(v: number, digits = 4): string {
  if (v === Infinity) return '∞';
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toPrecision(digits) : v.toExponential(digits - 1);
}

export function vec(v: readonly number[], digits = 4): string {
  return `(${v.map((x) => num(x, digits)).join(', ')})`;
}

export function percent(f: number): string {
  return `${(100 * f).toFixed(2)} %`;
}
