// The app shell: owns the layout, the GPU session, the frame loop and the current lab page, and
// wires the panel, run controls, URL state, presets, export/import and device-loss handling to
// the LabPage contract (src/labs/lab.ts). Labs never see the shell beyond ViewHost.

import type { GpuContext } from '../gpu/device';
import { exportSnapshotParts, MIME_TYPES, suggestedFileName, type ExportFormat } from '../io/export';
import { parseSnapshotJson } from '../io/snapshot-json';
import type { Snapshot } from '../io/snapshot-types';
import type { LabDefinition, LabPage, Notice, RunStatus, ViewHost } from '../labs/lab';
import { FieldError } from '../labs/schema';
import { h, saveBlob } from './dom';
import { ExportMenu } from './export-menu';
import { FrameLoop, SPEEDS } from './frame-loop';
import { GpuSession } from './gpu-session';
import { Hud, RateMeter } from './hud';
import type { Layout } from './layout';
import { describeError, NoticeArea } from './notices';
import { captureStage, type StageCapture } from './png-export';
import { ParamPanel } from './panel';
import { RunControls } from './run-controls';
import { Shortcuts } from './shortcuts';
import { decodeConfig, describeRejected, encodeUrlState, getPath, hasUrlState, readUrlFields, setPath } from './url-state';
import { UrlSync } from './url-sync';
import { webGpuMissingCard } from './webgpu-missing';

type AnyLab = LabDefinition<any>;
type AnyPage = LabPage<unknown>;

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

/** Config fields not described by the schema (point sets, ...): what the user may have hand-made. */
function structuredPart(lab: AnyLab, config: unknown): unknown {
  const c = clone(config) as Record<string, unknown>;
  for (const p of lab.params) {
    const parts = p.key.split('.');
    let cur: unknown = c;
    for (const k of parts.slice(0, -1)) cur = (cur as Record<string, unknown> | undefined)?.[k];
    if (cur && typeof cur === 'object') delete (cur as Record<string, unknown>)[parts[parts.length - 1]];
  }
  return c;
}

export class App {
  readonly notices: NoticeArea;
  readonly loop: FrameLoop;
  readonly session = new GpuSession();
  lab: AnyLab;
  page: AnyPage | null = null;
  config: unknown = null;
  /** Resolves when the first page is running (the test hook waits on it). */
  readonly ready: Promise<void>;
  private markReady!: () => void;
  private panel: ParamPanel | null = null;
  private readonly controls: RunControls;
  private readonly exportMenu: ExportMenu;
  private readonly hud: Hud;
  private readonly rate = new RateMeter();
  private readonly url: UrlSync;
  private chain: Promise<unknown> = Promise.resolve();
  private pendingPanel: unknown = null;
  private haltShown: string | null = null;
  private lastStatus: RunStatus | null = null;
  private openSeq = 0;

  constructor(
    readonly labs: readonly AnyLab[],
    private readonly layout: Layout,
  ) {
    this.lab = labs[0];
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    this.notices = new NoticeArea(layout.notices);
    this.loop = new FrameLoop(
      (now) => this.afterFrame(now),
      (e) => this.notices.error(e, 'The simulation stopped (reset or change a parameter to continue)'),
    );
    this.controls = new RunControls({
      playPause: () => this.playPause(),
      step: () => this.step(),
      reset: () => void this.reset(),
      speed: (s) => this.setSpeed(s),
      lab: (id) => void this.switchLab(id),
      preset: (id) => void this.applyPreset(id),
    });
    this.exportMenu = new ExportMenu({
      snapshot: (f) => void this.exportSnapshot(f),
      png: () => this.exportPng(),
      charts: () => this.chartSvgs(),
      chartSvg: (name, svg) => saveBlob(`${this.lab.id}-${name}.svg`, new Blob([svg], { type: 'image/svg+xml' })),
      importJson: (f) => void this.importJson(f),
      copyLink: () => void this.copyLink(),
    });
    layout.controls.append(this.controls.el);
    layout.actions.prepend(this.exportMenu.el);
    this.hud = new Hud(layout.stageOverlay);
    this.url = new UrlSync((search) => void this.onHistory(search));
    const shortcuts = new Shortcuts([
      { keys: [' '], label: 'Space', description: 'Play / pause', run: () => this.playPause() },
      { keys: ['.', 'ArrowRight'], label: '. or →', description: 'Single step (pauses)', run: () => this.step() },
      { keys: ['r', 'R'], label: 'R', description: 'Reset the run to t = T', run: () => void this.reset() },
      { keys: ['+', '='], label: '+', description: 'Faster (more steps per frame)', run: () => this.nudgeSpeed(1) },
      { keys: ['-', '_'], label: '−', description: 'Slower', run: () => this.nudgeSpeed(-1) },
      { keys: ['e', 'E'], label: 'E', description: 'Export / import menu', run: () => this.exportMenu.toggle() },
      { keys: ['p', 'P'], label: 'P', description: 'Save the view (canvas + overlay) as PNG', run: () => this.exportPng() },
      { keys: ['h', 'H'], label: 'H', description: 'Show / hide the HUD', run: () => this.hud.toggle() },
      { keys: ['g', 'G'], label: 'G', description: 'Show / hide the parameter panel', run: () => this.layout.side.classList.toggle('collapsed') },
      { keys: ['?'], label: '?', description: 'This list', run: () => shortcuts.showHelp() },
    ]);
    layout.helpButton.addEventListener('click', () => shortcuts.showHelp());
    this.session.onLost((report) => void this.onDeviceLost(report.message, report.gpu));
    // While paused the loop redraws lazily; interaction with the view asks for prompt frames.
    const wake = (): void => this.loop.invalidate();
    for (const type of ['pointerdown', 'pointermove', 'wheel', 'input', 'change']) {
      layout.canvasWrap.addEventListener(type, wake, { passive: true });
      layout.labControls.addEventListener(type, wake, { passive: true });
      layout.charts.addEventListener(type, wake, { passive: true });
    }
  }

  // ---- start-up ---------------------------------------------------------------------------

  async start(): Promise<void> {
    const gpu = await this.session.acquire();
    if (!gpu) {
      this.layout.stage.prepend(webGpuMissingCard(this.session.unavailableReason ?? 'WebGPU is not available.', () => this.loop.invalidate()));
    }
    const { lab, config } = this.fromUrl(location.search);
    this.loop.start();
    await this.enqueue(() => this.openLab(lab, config));
    this.url.replace(encodeUrlState(this.lab, this.config));
    this.url.flush();
    this.markReady();
  }

  /** Lab + config from a query string; every rejected field becomes a visible notice. */
  private fromUrl(search: string): { lab: AnyLab; config: unknown } {
    if (!hasUrlState(search)) return { lab: this.labs[0], config: this.labs[0].defaultConfig() };
    const fields = readUrlFields(search);
    let lab = this.labs[0];
    if (fields.labId !== null) {
      const found = this.labs.find((l) => l.id === fields.labId);
      if (found) lab = found;
      else this.notices.error(new FieldError('lab', fields.labId, `one of ${this.labs.map((l) => JSON.stringify(l.id)).join(', ')}`), 'Link');
    }
    const { config, rejected } = decodeConfig(lab, fields);
    for (const e of rejected) this.notices.show({ level: 'error', text: describeRejected(e) }, { sticky: true });
    return { lab, config };
  }

  // ---- pages ------------------------------------------------------------------------------

  private host(canvas: HTMLCanvasElement): ViewHost {
    const seq = this.openSeq;
    return {
      canvas,
      overlay: this.layout.overlay,
      charts: this.layout.charts,
      controls: this.layout.labControls,
      gpu: this.session.gpu,
      notify: (n: Notice) => this.notices.show(n, { key: n.key }),
      configChanged: (c: unknown) => {
        if (seq === this.openSeq) this.onPageConfig(c);
      },
    };
  }

  /** Dispose the current page and open `lab` with `config` (already validated or from defaults). */
  async openLab(lab: AnyLab, config: unknown): Promise<void> {
    const seq = ++this.openSeq;
    this.loop.playing = false;
    this.loop.setTarget(null);
    this.page?.dispose();
    this.page = null;
    this.panel?.dispose();
    this.panel = null;
    this.layout.overlay.replaceChildren();
    this.layout.charts.replaceChildren();
    this.layout.labControls.replaceChildren();
    this.clearHalt();
    const canvas = this.layout.freshCanvas();
    this.lab = lab;
    // Labs without a browser page (CLI only for now) are listed disabled, never offered.
    this.controls.setLabs(this.labs.map((l) => ({ id: l.id, title: l.title, description: l.summary, disabled: !l.loadPage })), lab.id);
    this.layout.setTitle(lab);
    let parsed: unknown;
    try {
      parsed = lab.parseConfig(config);
    } catch (e) {
      this.notices.error(e, 'Config rejected, using the defaults');
      parsed = lab.defaultConfig();
    }
    if (!lab.loadPage) {
      this.notices.show({ level: 'error', text: `The lab "${lab.title}" has no browser page (CLI only).` });
      return;
    }
    const factory = await lab.loadPage();
    if (seq !== this.openSeq) return;
    let page: AnyPage;
    try {
      page = (await factory(this.host(canvas))) as AnyPage;
    } catch (e) {
      if (!this.session.gpu) throw e;
      // A page that cannot start on this GPU still runs on the CPU reference.
      this.notices.error(e, 'The WebGPU version of this lab failed to start; running the CPU float64 reference instead');
      this.session.disableGpu(describeError(e));
      this.layout.overlay.replaceChildren();
      this.layout.charts.replaceChildren();
      this.layout.labControls.replaceChildren();
      page = (await factory(this.host(this.layout.freshCanvas()))) as AnyPage;
    }
    if (seq !== this.openSeq) {
      page.dispose();
      return;
    }
    try {
      await page.setConfig(parsed);
    } catch (e) {
      this.notices.error(e, 'Config rejected, using the defaults');
      parsed = lab.defaultConfig();
      await page.setConfig(parsed);
    }
    this.page = page;
    this.config = parsed;
    this.panel = new ParamPanel(this.layout.panel, 'Parameters', lab.params, (key, value) => this.onPanel(key, value));
    this.panel.setValues(parsed);
    this.controls.setPresets(
      lab.presets.map((p) => ({ id: p.id, title: p.title, description: p.description })),
      this.matchingPreset(),
    );
    this.loop.setTarget(page);
    this.layout.showHint(true);
  }

  private matchingPreset(): string | null {
    return this.lab.presets.find((p) => sameJson(this.lab.parseConfig(p.config), this.config))?.id ?? null;
  }

  // ---- config changes ---------------------------------------------------------------------

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

  /** Page operations run one at a time, in order. */
  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const p = this.chain.then(work);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /**
   * Validate and apply a config. On a rejected value the previous config stays, the panel shows
   * it again, and a notice names the field, the value and the allowed range.
   */
  applyConfig(next: unknown, options: { push?: boolean; fromHistory?: boolean } = {}): Promise<boolean> {
    return this.enqueue(() => this.doApply(next, options));
  }

  private async doApply(next: unknown, options: { push?: boolean; fromHistory?: boolean }): Promise<boolean> {
    const page = this.page;
    if (!page) return false;
    let parsed: unknown;
    try {
      parsed = this.lab.parseConfig(next);
      await this.loop.hold(() => page.setConfig(parsed));
    } catch (e) {
      this.notices.error(e, 'Rejected (kept the previous value)', { key: 'config-rejected' });
      this.panel?.setValues(this.config);
      return false;
    }
    this.config = parsed;
    this.panel?.setValues(this.pendingPanel ?? parsed);
    this.controls.showPreset(this.matchingPreset());
    this.clearHalt();
    if (!options.fromHistory) {
      const q = encodeUrlState(this.lab, parsed);
      if (options.push) this.url.push(q);
      else this.url.replace(q);
    }
    return true;
  }

  /** The page changed the config itself (atoms dragged, points imported). */
  private onPageConfig(raw: unknown): void {
    try {
      this.config = this.lab.parseConfig(raw);
    } catch (e) {
      this.notices.error(e, 'Rejected', { key: 'config-rejected' });
      return;
    }
    this.panel?.setValues(this.config);
    this.controls.showPreset(this.matchingPreset());
    this.url.replace(encodeUrlState(this.lab, this.config));
    this.loop.invalidate();
  }

  /** A sentence and an Undo for changes that replace what the user made. */
  private offerUndo(what: string, userMade: boolean): void {
    this.notices.show(
      {
        level: 'info',
        text: userMade
          ? `${what}. Your previous setup (including edited point sets) is kept in the browser history.`
          : `${what}.`,
      },
      { actions: [{ label: 'Undo', run: () => history.back() }], key: 'undo' },
    );
  }

  /** True when the current config's point sets (non-schema fields) match no preset and not the defaults. */
  private userMadeStructure(): boolean {
    const mine = structuredPart(this.lab, this.config);
    const known = [this.lab.defaultConfig(), ...this.lab.presets.map((p) => p.config)].map((c) => {
      try {
        return structuredPart(this.lab, this.lab.parseConfig(c));
      } catch {
        return null;
      }
    });
    return !known.some((k) => sameJson(k, mine));
  }

  async applyPreset(id: string): Promise<void> {
    const preset = this.lab.presets.find((p) => p.id === id);
    if (!preset) return;
    const userMade = this.userMadeStructure();
    this.loop.playing = false;
    if (await this.applyConfig(clone(preset.config), { push: true })) this.offerUndo(`Preset “${preset.title}” applied`, userMade);
  }

  switchLab(id: string): Promise<void> {
    return this.enqueue(() => this.doSwitchLab(id));
  }

  private async doSwitchLab(id: string): Promise<void> {
    const lab = this.labs.find((l) => l.id === id);
    if (!lab || lab === this.lab || !lab.loadPage) return;
    const userMade = this.userMadeStructure();
    await this.openLab(lab, lab.defaultConfig());
    this.url.push(encodeUrlState(this.lab, this.config));
    this.offerUndo(`Switched to ${lab.title}`, userMade);
  }

  /** Back / forward: the URL is the state. */
  private onHistory(search: string): Promise<unknown> {
    const { lab, config } = this.fromUrl(search);
    return this.enqueue<unknown>(() => (lab !== this.lab ? this.openLab(lab, config) : this.doApply(config, { fromHistory: true })));
  }

  // ---- run controls -----------------------------------------------------------------------

  playPause(): void {
    const page = this.page;
    if (!page) return;
    if (this.loop.playing) {
      this.loop.playing = false;
      return;
    }
    const s = page.status();
    if (s.haltedReason) {
      this.notices.show({ level: 'warn', text: `The run is halted (${s.haltedReason}). Reset it or change a parameter to run again.` });
      return;
    }
    this.layout.showHint(false);
    if (s.done) {
      void this.reset().then(() => (this.loop.playing = true));
      return;
    }
    this.loop.playing = true;
  }

  step(): void {
    if (!this.page) return;
    this.loop.playing = false;
    this.layout.showHint(false);
    const s = this.page.status();
    if (!s.done && !s.haltedReason) this.loop.step(1);
  }

  reset(): Promise<void> {
    this.loop.playing = false;
    return this.enqueue(async () => {
      const page = this.page;
      if (!page) return;
      try {
        await this.loop.hold(() => page.reset());
      } catch (e) {
        this.notices.error(e, 'Reset failed');
      }
      this.clearHalt();
    });
  }

  /** Snapped to the nearest SPEEDS entry (frame-loop.ts snapSpeed); the select shows the same. */
  setSpeed(s: number): void {
    this.loop.speed = s;
    this.controls.showSpeed(this.loop.speed);
  }

  private nudgeSpeed(dir: 1 | -1): void {
    const i = SPEEDS.indexOf(this.loop.speed);
    const j = Math.max(0, Math.min(SPEEDS.length - 1, i + dir));
    this.setSpeed(SPEEDS[j]);
  }

  private afterFrame(now: number): void {
    const page = this.page;
    if (!page) return;
    const s = page.status();
    this.lastStatus = s;
    if (s.haltedReason) {
      this.loop.playing = false;
      this.showHalt(s.haltedReason);
    } else if (this.haltShown) this.clearHalt();
    if (s.done && this.loop.playing) this.loop.playing = false;
    const measured = this.rate.sample(now, s.step);
    this.hud.update(s, this.session.backend, this.session.adapter, measured, this.loop.playing);
    this.controls.showPlaying(this.loop.playing, s.done);
  }

  private showHalt(reason: string): void {
    if (this.haltShown === reason) return;
    this.haltShown = reason;
    this.layout.halt.replaceChildren(
      h('strong', {}, 'Run halted'),
      h('span', {}, reason),
      h('button', { type: 'button', onclick: () => void this.reset() }, '↺ Reset'),
    );
    this.layout.halt.hidden = false;
  }

  private clearHalt(): void {
    this.haltShown = null;
    this.layout.halt.hidden = true;
  }

  // ---- export / import --------------------------------------------------------------------

  private chartSvgs(): { name: string; svg: string }[] {
    try {
      return this.page?.chartSvgs() ?? [];
    } catch (e) {
      this.notices.error(e, 'Charts');
      return [];
    }
  }

  async exportSnapshot(format: ExportFormat): Promise<void> {
    const page = this.page;
    if (!page) return;
    try {
      const snap = await page.snapshot();
      const s: Snapshot = { ...snap, meta: { backend: this.session.backend, adapter: this.session.adapter, ...snap.meta } };
      const parts = exportSnapshotParts(s, format);
      saveBlob(suggestedFileName(s, format), new Blob(parts as BlobPart[], { type: MIME_TYPES[format] }));
    } catch (e) {
      this.notices.error(e, `Export as .${format} failed`);
    }
  }

  /** The stage as seen: canvas + the lab's SVG overlay, captured right after a rendered frame. */
  exportPng(): void {
    const name = `${this.lab.id}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}.png`;
    this.loop.whenFramed(() => {
      let capture: StageCapture;
      try {
        // Same task as the render: the WebGPU canvas's current texture is still readable.
        capture = captureStage(this.layout.canvas, this.layout.overlay);
      } catch (e) {
        this.notices.error(e, 'The canvas could not be captured as PNG');
        return;
      }
      capture.toPng().then(
        (blob) => saveBlob(name, blob),
        (e: unknown) => this.notices.error(e, 'The canvas could not be captured as PNG'),
      );
    });
  }

  importJson(file: File): Promise<void> {
    return this.enqueue(() => this.doImportJson(file));
  }

  private async doImportJson(file: File): Promise<void> {
    let snap: Snapshot;
    let lab: AnyLab | undefined;
    let config: unknown;
    try {
      snap = parseSnapshotJson(await file.text());
      lab = this.labs.find((l) => l.id === snap.lab);
      if (!lab) throw new FieldError('lab', snap.lab, `one of ${this.labs.map((l) => JSON.stringify(l.id)).join(', ')}`);
      config = lab.parseConfig(snap.config);
    } catch (e) {
      this.notices.error(e, `Import of ${file.name} rejected (the current run is unchanged)`);
      return;
    }
    this.url.flush();
    if (lab !== this.lab) await this.openLab(lab, config);
    const page = this.page;
    if (!page) return;
    this.loop.playing = false;
    try {
      await this.loop.hold(() => page.restore({ ...snap, config }));
    } catch (e) {
      this.notices.error(e, `Import of ${file.name} failed`);
      return;
    }
    this.config = config;
    this.panel?.setValues(config);
    this.controls.showPreset(this.matchingPreset());
    this.url.push(encodeUrlState(this.lab, config));
    const s = page.status();
    this.notices.show({ level: 'info', text: `Restored ${file.name} at step ${s.step} / ${s.steps}. Press Space to continue.` });
  }

  private async copyLink(): Promise<void> {
    this.url.flush();
    try {
      await navigator.clipboard.writeText(location.href);
      this.notices.show({ level: 'info', text: 'Link copied: it reopens this lab with every parameter and the seed.' });
    } catch {
      this.notices.show({ level: 'info', text: `Copy this link: ${location.href}` }, { sticky: true });
    }
  }

  // ---- device loss ------------------------------------------------------------------------

  private async onDeviceLost(message: string, gpu: GpuContext | null): Promise<void> {
    const page = this.page;
    const wasPlaying = this.loop.playing;
    this.loop.playing = false;
    const close = this.notices.show(
      { level: 'warn', text: `The GPU device was lost (${message}). Recovering…` },
      { sticky: true, key: 'device-lost' },
    );
    if (!page) return;
    try {
      await this.enqueue(() => this.loop.hold(() => page.deviceRestored(gpu)));
    } catch (e) {
      close();
      this.notices.error(e, 'Recovering from the lost GPU device failed; reload the page');
      return;
    }
    close();
    this.notices.show(
      {
        level: gpu ? 'info' : 'warn',
        text: gpu
          ? `GPU device lost (${message}) and restored on a new device; the run continues from its last known state.`
          : `GPU device lost (${message}) and no new one could be acquired; continuing on the CPU where the lab supports it.`,
      },
      { sticky: !gpu },
    );
    this.loop.playing = wasPlaying;
  }

  /** The latest status (null before the first page). */
  status(): RunStatus | null {
    return this.page ? this.page.status() : null;
  }

  get lastKnownStatus(): RunStatus | null {
    return this.lastStatus;
  }

  /** For tests: the value of one config path. */
  configValue(path: string): unknown {
    return getPath(this.config, path);
  }
}
