// The "Run halted" banner over the stage: the page's halt reason and a Reset button. The frame loop
// reports a halt after every frame, so the banner is rebuilt only when the reason changes; a new
// config, a reset or another lab clears it.

import { h } from './dom';

export class HaltBanner {
  private shown: string | null = null;

  constructor(
    private readonly el: HTMLElement,
    private readonly reset: () => void,
  ) {}

  get isShown(): boolean {
    return this.shown !== null;
  }

  show(reason: string): void {
    if (this.shown === reason) return;
    this.shown = reason;
    this.el.replaceChildren(
      h('strong', {}, 'Run halted'),
      h('span', {}, reason),
      h('button', { type: 'button', onclick: () => this.reset() }, '↺ Reset'),
    );
    this.el.hidden = false;
  }

  clear(): void {
    this.shown = null;
    this.el.hidden = true;
  }
}
