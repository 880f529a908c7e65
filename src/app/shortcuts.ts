// Keyboard shortcuts and the "?" help dialog that lists them.

import { h, isTyping } from './dom';

export interface Shortcut {
  keys: string[];
  /** What the help dialog shows, e.g. "Space". */
  label: string;
  description: string;
  run(): void;
}

export class Shortcuts {
  private readonly dialog: HTMLDialogElement;

  constructor(private readonly list: Shortcut[]) {
    this.dialog = h(
      'dialog',
      { class: 'help-dialog', 'aria-label': 'Keyboard shortcuts' },
      h('h2', {}, 'Keyboard shortcuts'),
      h(
        'table',
        {},
        ...list.map((s) => h('tr', {}, h('td', {}, h('kbd', {}, s.label)), h('td', {}, s.description))),
      ),
      h('p', { class: 'help-hint' }, 'Hover a parameter for its meaning and range. The URL always holds the current run: copy it to share.'),
      h('form', { method: 'dialog' }, h('button', { type: 'submit' }, 'Close')),
    );
    document.body.append(this.dialog);
    window.addEventListener('keydown', (e) => this.onKey(e));
    // Space on a focused button would also "click" it (on keyup): the shortcut already acted.
    window.addEventListener('keyup', (e) => {
      if (e.key === ' ' && (e.target as HTMLElement | null)?.tagName === 'BUTTON') e.preventDefault();
    });
  }

  showHelp(): void {
    if (this.dialog.open) this.dialog.close();
    else this.dialog.showModal();
  }

  private onKey(e: KeyboardEvent): void {
    if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e)) return;
    if (this.dialog.open && e.key !== '?') return;
    const s = this.list.find((x) => x.keys.includes(e.key));
    if (!s) return;
    e.preventDefault();
    s.run();
  }
}
