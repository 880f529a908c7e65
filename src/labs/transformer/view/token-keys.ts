// Keyboard editing of the input tokens (DOM-free, unit-tested): which key does what on the focused
// token picture (overlay.ts), and the token a select key moves to. The overlay stops the keys it
// handles, so the shell's shortcuts (→ steps, P saves a PNG) do not fire while it has focus.
//   ] / [            select the next / previous token (wraps; from none: the first / last)
//   arrow keys       move the selected token by one step in x0 (←/→) or x1 (↑/↓); Shift: 10 steps
//   Delete, Bksp     delete the selected token (from every sequence: a batch is B x n x d)
//   A, Insert        add a token (a copy of the selected one, or of token 0, one step to the right)
//   Escape           clear the selection

export type TokenKeyAction =
  | { kind: 'select'; direction: 1 | -1 }
  | { kind: 'move'; axis: 0 | 1; steps: number }
  | { kind: 'delete' }
  | { kind: 'add' }
  | { kind: 'clear' };

/** What the picture's aria-label says about its keys. */
export const TOKEN_KEYS_HELP = 'Input tokens: ] and [ select the next or previous token, arrow keys move it (Shift: 10 times farther), Delete removes it, A adds a token, Escape clears the selection';

/** Steps a Shift+arrow moves. */
export const LARGE_STEPS = 10;

/** The action of a key press, or null for keys the picture leaves to the page (Space, ?, ...). */
export function tokenKeyAction(e: { key: string; shiftKey: boolean; ctrlKey?: boolean; metaKey?: boolean; altKey?: boolean }): TokenKeyAction | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  const steps = e.shiftKey ? LARGE_STEPS : 1;
  switch (e.key) {
    case ']':
      return { kind: 'select', direction: 1 };
    case '[':
      return { kind: 'select', direction: -1 };
    case 'ArrowRight':
      return { kind: 'move', axis: 0, steps };
    case 'ArrowLeft':
      return { kind: 'move', axis: 0, steps: -steps };
    case 'ArrowUp':
      return { kind: 'move', axis: 1, steps };
    case 'ArrowDown':
      return { kind: 'move', axis: 1, steps: -steps };
    case 'Delete':
    case 'Backspace':
      return { kind: 'delete' };
    case 'a':
    case 'A':
    case 'Insert':
      return { kind: 'add' };
    case 'Escape':
      return { kind: 'clear' };
    default:
      return null;
  }
}

/** The token `direction` away from `current` among n tokens (wrapping); from none: the first or last. */
export function nextToken(current: number | null, direction: 1 | -1, n: number): number | null {
  if (n <= 0) return null;
  if (current === null || current >= n) return direction > 0 ? 0 : n - 1;
  return (current + direction + n) % n;
}

/**
 * Step of a keyboard move in data units: about 1/50 of the tokens' spread (clusters.ts dataScale),
 * rounded down to 1, 2 or 5 times a power of ten so positions stay short numbers.
 */
export function moveStep(spread: number): number {
  const raw = (Number.isFinite(spread) && spread > 0 ? spread : 1) / 50;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m >= 5 ? 5 : m >= 2 ? 2 : 1) * p;
}
