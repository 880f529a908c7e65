// The lab on the page: its LabPage, its validated config and its parameter panel. Opens a lab
// (disposing the previous page; a page that cannot start on the GPU runs on the CPU reference) and
// applies configs from the panel, from the page itself (atoms dragged, points imported) and from
// links. Page operations run one at a time, in order (enqueue), so a slider drag, a reset and an
// import never interleave; a rejected config keeps the previous one and names the field.

import type { Notice, ViewHost } from '../labs/lab';
import { clone, matchingPreset } from './config-compare';
import { checkMemoryBudget } from '../labs/budget';
import { describeError } from './notices';
import { pageMemoryBudget } from './memory-budget';
import { ParamPanel } from './panel';
import { CompareControl } from './compare-control';
import type { CompareConfig } from '../labs/compare';
import type { AnyLab, AnyPage, ShellParts } from './shell-parts';
import { encodeUrlState, setPath } from './url-state';

export interface ApplyOptions {
  /** Add a history entry (presets) rather than replace the current one. */
  push?: boolean;
  /** The config came from the URL (Back / Forward): leave the URL alone. */
  fromHistory?: boolean;
}

export class CurrentLab {
  lab: AnyLab;
  page: AnyPage | null = null;
  config: unknown = null;
  private panel: ParamPanel | null = null;
  /** The compare control under the panel, for labs with a compare mode. */
  private compare: CompareControl | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private pendingPanel: unknown = null;
  private openSeq = 0;
  /** The page's memory budget (memory-budget.ts), also checked by the labs' parseConfig (budgetedLabs). */
  private readonly memoryBudget = pageMemoryBudget();

  constructor(private readonly shell: ShellParts) {
    this.lab = shell.labs[0];
  }

  /** Page operations run one at a time, in order. */
  enqueue<T>(work: () => Promise<T>): Promise<T> {
    const p = this.chain.then(work);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private host(canvas: HTMLCanvasElement): ViewHost {
    const seq = this.openSeq;
    const lab = this.lab;
    const { layout, notices } = this.shell;
    return {
      canvas,
      overlay: layout.overlay,
      charts: layout.charts,
      controls: layout.labControls,
      gpu: this.shell.session.gpu,
      notify: (n: Notice) => notices.show(n, { key: n.key }),
      configChanged: (c: unknown) => {
        if (seq === this.openSeq) this.onPageConfig(c);
      },
      checkMemory: (c: unknown) => void checkMemoryBudget(lab, c, this.memoryBudget, { page: true }),
    };
  }

  /** Dispose the current page and open `lab` with `config` (already validated or from defaults). */
  async openLab(lab: AnyLab, config: unknown): Promise<void> {
    const { labs, layout, notices, loop, session, controls, halt } = this.shell;
    const seq = ++this.openSeq;
    loop.playing = false;
    loop.setTarget(null);
    this.page?.dispose();
    this.page = null;
    this.panel?.dispose();
    this.panel = null;
    this.compare?.dispose();
    this.compare = null;
    layout.overlay.replaceChildren();
    layout.charts.replaceChildren();
    layout.labControls.replaceChildren();
    halt.clear();
    const canvas = layout.freshCanvas();
    this.lab = lab;
    // Labs without a browser page (CLI only for now) are listed disabled, never offered.
    controls.setLabs(labs.map((l) => ({ id: l.id, title: l.title, description: l.summary, disabled: !l.loadPage })), lab.id);
    layout.setTitle(lab);
    let parsed: unknown;
    try {
      parsed = lab.parseConfig(config);
    } catch (e) {
      notices.error(e, 'Config rejected, using the defaults');
      parsed = lab.defaultConfig();
    }
    if (!lab.loadPage) {
      notices.show({ level: 'error', text: `The lab "${lab.title}" has no browser page (CLI only).` });
      return;
    }
    const factory = await lab.loadPage();
    if (seq !== this.openSeq) return;
    let page: AnyPage;
    try {
      page = (await factory(this.host(canvas))) as AnyPage;
    } catch (e) {
      if (!session.gpu) throw e;
      // A page that cannot start on this GPU still runs on the CPU reference.
      notices.error(e, 'The WebGPU version of this lab failed to start; running the CPU float64 reference instead');
      session.disableGpu(describeError(e));
      layout.overlay.replaceChildren();
      layout.charts.replaceChildren();
      layout.labControls.replaceChildren();
      page = (await factory(this.host(layout.freshCanvas()))) as AnyPage;
    }
    if (seq !== this.openSeq) {
      page.dispose();
      return;
    }
    try {
      await page.setConfig(parsed);
    } catch (e) {
      notices.error(e, 'Config rejected, using the defaults');
      parsed = lab.defaultConfig();
      await page.setConfig(parsed);
    }
    this.page = page;
    this.config = parsed;
    this.panel = new ParamPanel(layout.panel, 'Parameters', lab.params, (key, value) => this.onPanel(key, value));
    if (lab.compare) {
      this.compare = new CompareControl(lab.compare.keys, lab.params, (c) => this.onCompare(c));
      layout.panel.append(this.compare.el);
    }
    this.showValues(parsed);
    controls.setPresets(
      lab.presets.map((p) => ({ id: p.id, title: p.title, description: p.description })),
      this.matchingPreset(),
    );
    loop.setTarget(page);
    layout.showHint(true);
  }

  private matchingPreset(): string | null {
    return matchingPreset(this.lab, this.config);
  }

  private onPanel(key: string, value: number | string | boolean): void {
    const scheduled = this.pendingPanel !== null;
    const next = clone(this.pendingPanel ?? this.config) as Record<string, unknown>;
    setPath(next, key, value);
    this.pendingPanel = next;
    if (scheduled) return; // the queued apply will pick up the latest values (slider drags coalesce)
    void this.enqueue(async () => {
      const c = this.pendingPanel;
      this.pendingPanel = null;
      await this.doApply(c, {});
    });
  }

  /** The compare control's proposal: the current config with config.compare replaced (or removed). */
  private onCompare(compare: CompareConfig | undefined): void {
    const next = clone(this.config) as Record<string, unknown>;
    if (compare) next.compare = compare;
    else delete next.compare;
    void this.applyConfig(next);
  }

  /** The panel and the compare control show `config`. */
  private showValues(config: unknown): void {
    this.panel?.setValues(config);
    this.compare?.setValues(config);
  }

  /**
   * Validate and apply a config. On a rejected value the previous config stays, the panel shows
   * it again, and a notice names the field, the value and the allowed range.
   */
  applyConfig(next: unknown, options: ApplyOptions = {}): Promise<boolean> {
    return this.enqueue(() => this.doApply(next, options));
  }

  /** applyConfig's work, for callers already inside enqueue. */
  async doApply(next: unknown, options: ApplyOptions): Promise<boolean> {
    const { notices, loop, controls, url } = this.shell;
    const page = this.page;
    if (!page) return false;
    let parsed: unknown;
    try {
      parsed = this.lab.parseConfig(next);
      await loop.hold(() => page.setConfig(parsed));
    } catch (e) {
      notices.error(e, 'Rejected (kept the previous value)', { key: 'config-rejected' });
      this.showValues(this.config);
      return false;
    }
    this.config = parsed;
    this.panel?.setValues(this.pendingPanel ?? parsed);
    this.compare?.setValues(parsed);
    controls.showPreset(this.matchingPreset());
    this.shell.halt.clear();
    if (!options.fromHistory) {
      const q = encodeUrlState(this.lab, parsed);
      if (options.push) url.push(q);
      else url.replace(q);
    }
    return true;
  }

  /** The page changed the config itself (atoms dragged, points imported). */
  private onPageConfig(raw: unknown): void {
    const { notices, loop, controls, url } = this.shell;
    try {
      this.config = this.lab.parseConfig(raw);
    } catch (e) {
      notices.error(e, 'Rejected', { key: 'config-rejected' });
      return;
    }
    this.showValues(this.config);
    controls.showPreset(this.matchingPreset());
    url.replace(encodeUrlState(this.lab, this.config));
    loop.invalidate();
  }

  /** A snapshot was restored with `config` (already parsed): panel, preset and a new history entry follow it. */
  adoptRestored(config: unknown): void {
    this.config = config;
    this.showValues(config);
    this.shell.controls.showPreset(this.matchingPreset());
    this.shell.url.push(encodeUrlState(this.lab, config));
  }
}
