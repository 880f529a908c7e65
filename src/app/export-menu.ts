// The header's export menu: snapshot (npz / csv / json), PNG of the view (canvas + overlay), a WebM
// video of the stage, SVG of each chart, json import, and "copy link". The shell provides the
// actions; this is only the menu, with the recording indicator beside its button.
//
// Keyboard (WAI-ARIA menu button pattern): on the button, Enter / Space / ArrowDown open the menu on
// its first item and ArrowUp on its last; in the menu, ArrowDown / ArrowUp move (wrapping), Home /
// End jump, Enter / Space activate, Escape closes and returns focus to the button, Tab closes and
// moves on. Items are roving (tabindex -1), so Tab never walks through them. The keys the menu
// handles stop at the menu: the shell's shortcuts (Space = play, → = step) must not see them.

import { h } from './dom';
import type { ExportFormat } from '../io/export';
import { RecordingIndicator } from './recording-indicator';
import type { VideoRecording } from './stage-recorder';

export interface ExportActions {
  snapshot(format: ExportFormat): void;
  png(): void;
  readonly video: VideoRecording;
  charts(): { name: string; svg: string }[];
  chartSvg(name: string, svg: string): void;
  importJson(file: File): void;
  copyLink(): void;
}

export class ExportMenu {
  readonly el: HTMLElement;
  private readonly list: HTMLElement;
  private readonly button: HTMLButtonElement;
  private readonly fileInput: HTMLInputElement;
  private recordItem: HTMLButtonElement | null = null;

  constructor(private readonly actions: ExportActions) {
    this.fileInput = h('input', { type: 'file', accept: '.json,application/json', hidden: true, 'data-testid': 'import-file' });
    this.fileInput.addEventListener('change', () => {
      const f = this.fileInput.files?.[0];
      this.fileInput.value = '';
      if (f) actions.importJson(f);
    });
    this.button = h(
      'button',
      { type: 'button', id: 'export-button', class: 'menu-button', 'aria-haspopup': 'menu', 'aria-expanded': 'false', 'aria-controls': 'export-menu', title: 'Export / import (E)', 'data-testid': 'export-button' },
      'Export ▾',
    );
    this.list = h('div', { id: 'export-menu', class: 'menu', role: 'menu', 'aria-labelledby': 'export-button', hidden: true });
    const indicator = new RecordingIndicator(actions.video);
    this.el = h('div', { class: 'menu-wrap' }, indicator.el, this.button, this.list, this.fileInput, indicator.live);
    this.button.addEventListener('click', () => this.toggle());
    this.button.addEventListener('keydown', (e) => this.onButtonKey(e));
    this.list.addEventListener('keydown', (e) => this.onMenuKey(e));
    document.addEventListener('click', (e) => {
      if (!this.el.contains(e.target as Node)) this.close();
    });
    actions.video.onChange(() => this.showRecording());
  }

  private onButtonKey(e: KeyboardEvent): void {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === 'Enter' || e.key === ' ' || e.key === 'ArrowDown') this.open('first');
    else if (e.key === 'ArrowUp') this.open('last');
    else if (e.key === 'Escape' && this.isOpen) this.close(true);
    else return;
    e.preventDefault();
    e.stopPropagation();
  }

  private onMenuKey(e: KeyboardEvent): void {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const items = this.items();
    const at = items.indexOf(document.activeElement as HTMLButtonElement);
    switch (e.key) {
      case 'ArrowDown':
        this.focusItem(items, at < 0 ? 0 : (at + 1) % items.length);
        break;
      case 'ArrowUp':
        this.focusItem(items, at < 0 ? items.length - 1 : (at - 1 + items.length) % items.length);
        break;
      case 'Home':
        this.focusItem(items, 0);
        break;
      case 'End':
        this.focusItem(items, items.length - 1);
        break;
      case 'Enter':
      case ' ':
        // Activated here, not by the button's own key handling, which the shell's Space shortcut cancels.
        if (at >= 0) items[at].click();
        break;
      case 'Escape':
        this.close(true);
        break;
      case 'Tab':
        this.close(); // then Tab moves focus on from the button, as from the closed menu
        return;
      default:
        return;
    }
    e.preventDefault();
    e.stopPropagation();
  }

  private items(): HTMLButtonElement[] {
    return Array.from(this.list.querySelectorAll<HTMLButtonElement>('[role=menuitem]'));
  }

  private focusItem(items: HTMLButtonElement[], i: number): void {
    items[i]?.focus();
  }

  private item(label: string, hint: string, run: () => void, testid?: string): HTMLButtonElement {
    const activate = (): void => {
      if (el.getAttribute('aria-disabled') === 'true') return;
      this.close(true);
      run();
    };
    const el = h('button', { type: 'button', role: 'menuitem', tabindex: -1, class: 'menu-item', title: hint, 'data-testid': testid, onclick: activate }, label);
    return el;
  }

  /** A labelled group of items (headings are not items: arrow keys skip them). */
  private group(heading: string, ...children: HTMLElement[]): HTMLElement {
    const id = `export-menu-${heading.toLowerCase().replace(/[^a-z]+/g, '-')}`;
    return h('div', { role: 'group', 'aria-labelledby': id }, h('div', { id, class: 'menu-heading' }, heading), ...children);
  }

  private build(): void {
    const a = this.actions;
    const charts = a.charts();
    this.recordItem = this.item('Record video', '', () => a.video.toggle(), 'record-video');
    this.showRecording();
    this.list.replaceChildren(
      this.group(
        'Snapshot of the run',
        this.item('NumPy .npz', 'numpy.load("run.npz")["x"]: recorded particle states, times, derived objects, meta.json', () => a.snapshot('npz'), 'export-npz'),
        this.item('CSV (trajectory)', 'Long format: frame, t, particle, coordinates', () => a.snapshot('csv'), 'export-csv'),
        this.item('JSON (reloadable)', 'Config, arrays and resume state: import it to continue the run exactly', () => a.snapshot('json'), 'export-json'),
      ),
      this.group(
        'Pictures and video',
        this.item('Canvas as PNG', 'The main view as it is drawn now, with its overlay (P)', () => a.png(), 'export-png'),
        this.recordItem,
        ...(charts.length === 0
          ? [h('div', { class: 'menu-empty' }, 'No charts yet')]
          : charts.map((c) => this.item(`Chart “${c.name}” as SVG`, 'Vector graphics of the chart', () => a.chartSvg(c.name, c.svg), `export-svg-${c.name}`))),
      ),
      this.group(
        'Share and resume',
        this.item('Copy link to this run', 'The URL holds the lab, every parameter and the seed', () => a.copyLink(), 'copy-link'),
        this.item('Import JSON snapshot…', 'Restore a run saved with "JSON (reloadable)" and continue it', () => this.fileInput.click(), 'import-json'),
      ),
    );
  }

  /** The record item's label and hint follow the recording (it can stop by itself at the run's end). */
  private showRecording(): void {
    const item = this.recordItem;
    if (!item) return;
    const video = this.actions.video;
    if (video.unsupportedReason) {
      item.setAttribute('aria-disabled', 'true');
      item.title = video.unsupportedReason;
      return;
    }
    const recording = video.startedAt !== null;
    item.textContent = recording ? 'Stop recording' : 'Record video';
    item.title = recording
      ? 'Stop and save the video (.webm)'
      : 'A WebM video of the stage (canvas + overlay) from now until you stop it or the run ends';
  }

  get isOpen(): boolean {
    return !this.list.hidden;
  }

  toggle(): void {
    if (this.isOpen) this.close();
    else this.open('first');
  }

  open(focus: 'first' | 'last' = 'first'): void {
    this.build();
    this.list.hidden = false;
    this.button.setAttribute('aria-expanded', 'true');
    const items = this.items();
    this.focusItem(items, focus === 'first' ? 0 : items.length - 1);
  }

  /**
   * Closes the menu; `returnFocus` puts focus back on the button (Escape, an item chosen). Focus on
   * an item is moved to the button in any case (the E shortcut, Tab), since hiding the item would
   * drop it on the page's body; Tab then moves on from the button.
   */
  close(returnFocus = false): void {
    if (!this.isOpen) return;
    const hadFocus = this.list.contains(document.activeElement);
    this.list.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
    if (returnFocus || hadFocus) this.button.focus();
  }
}
