// Keyboard shortcuts and the "?" help dialog that lists them, with the example inputs to download.

import { h, isTyping } from './dom';
import { EXAMPLE_FILES, exampleHref } from './examples';

export interface Shortcut {
  keys: string[];
  /** What the help dialog shows, e.g. "Space". */
  label: string;
  description: string;
  run(): void;
}

/** Download links to public/examples/: configs for `flowlab run --config`, files for the labs' import buttons. */
function exampleList(): HTMLElement {
  return h(
    'section',
    { class: 'help-examples', 'aria-label': 'Example inputs' },
    h('h3', {}, 'Example inputs'),
    h(
      'ul',
      {},
      ...EXAMPLE_FILES.map((e) =>
        h('li', {}, h('a', { href: exampleHref(e), download: e.file }, e.file), ` — ${e.description}`),
      ),
    ),
  );
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
      exampleList(),
      // autofocus: showModal would otherwise focus the first example link (Enter would download it).
      h('form', { method: 'dialog' }, h('button', { type: 'submit', autofocus: true }, 'Close')),
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
