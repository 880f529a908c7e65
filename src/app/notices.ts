// Visible messages. Every rejected input ends up here, naming field, value and allowed range.

import { MemoryBudgetError } from '../labs/budget';
import { FieldError, formatValue } from '../labs/schema';
import type { Notice } from '../labs/lab';
import { h } from './dom';

export interface NoticeAction {
  label: string;
  run(): void;
}

export interface ShowOptions {
  /** Stays until closed (errors stay by default). */
  sticky?: boolean;
  actions?: NoticeAction[];
  /** A later notice with the same key replaces this one. */
  key?: string;
}

/** A sentence for any thrown value; FieldErrors name field, value and the allowed range. */
export function describeError(e: unknown, context = ''): string {
  const prefix = context ? `${context}: ` : '';
  // A memory-budget refusal's value is a sentence (the fields that drive the size, the estimate): its message reads as is.
  if (e instanceof MemoryBudgetError) return `${prefix}${e.message}`;
  if (e instanceof FieldError) return `${prefix}${e.field} = ${formatValue(e.value)} rejected; allowed: ${e.allowed}`;
  if (e instanceof Error) return `${prefix}${e.message}`;
  return `${prefix}${String(e)}`;
}

export class NoticeArea {
  /** Every notice shown, oldest first (the e2e tests read it through the test hook). */
  readonly log: Notice[] = [];
  private readonly byKey = new Map<string, HTMLElement>();

  constructor(private readonly root: HTMLElement) {
    root.setAttribute('role', 'status');
    root.setAttribute('aria-live', 'polite');
  }

  show(notice: Notice, options: ShowOptions = {}): () => void {
    this.log.push(notice);
    if (this.log.length > 200) this.log.shift();
    if (options.key) this.byKey.get(options.key)?.remove();
    const close = (): void => {
      el.remove();
      if (options.key && this.byKey.get(options.key) === el) this.byKey.delete(options.key);
    };
    const actions = (options.actions ?? []).map((a) =>
      h('button', { class: 'notice-action', type: 'button', onclick: () => { close(); a.run(); } }, a.label),
    );
    const el = h(
      'div',
      { class: `notice notice-${notice.level}` },
      h('span', { class: 'notice-text' }, notice.text),
      ...actions,
      h('button', { class: 'notice-close', type: 'button', title: 'Dismiss', 'aria-label': 'Dismiss', onclick: close }, '×'),
    );
    if (options.key) this.byKey.set(options.key, el);
    this.root.append(el);
    while (this.root.children.length > 5) this.root.firstElementChild?.remove();
    const sticky = options.sticky ?? notice.level === 'error';
    if (!sticky) setTimeout(close, options.actions?.length || notice.level === 'warn' ? 15_000 : 6_000);
    return close;
  }

  error(e: unknown, context = '', options: ShowOptions = {}): void {
    this.show({ level: 'error', text: describeError(e, context) }, options);
  }
}
