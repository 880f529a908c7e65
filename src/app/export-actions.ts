// What the export menu (export-menu.ts) does: save the page's snapshot (npz / csv / json, with the
// session's backend and adapter in meta), the stage as PNG or as a WebM video (stage-recorder.ts),
// a chart as SVG; import a JSON snapshot
// (another lab is opened first, and a file that does not fit leaves the current run unchanged);
// copy the link. Failures become notices, never exceptions in the menu.

import { exportSnapshotParts, MIME_TYPES, suggestedFileName, type ExportFormat } from '../io/export';
import { FILE_LIMITS, readFileText } from '../io/input';
import { parseSnapshotJson } from '../io/snapshot-json';
import type { Snapshot } from '../io/snapshot-types';
import { FieldError } from '../labs/schema';
import { validateSnapshot } from '../labs/snapshot-check';
import type { CurrentLab } from './current-lab';
import { saveBlob } from './dom';
import type { ExportActions } from './export-menu';
import { captureStage, type StageCapture } from './png-export';
import type { AnyLab, ShellParts } from './shell-parts';
import { StageRecorder } from './stage-recorder';

export class ShellExports implements ExportActions {
  /** "Record video": the stage as WebM, until stopped or the run ends. */
  readonly video: StageRecorder;

  constructor(
    private readonly shell: ShellParts,
    private readonly current: CurrentLab,
  ) {
    this.video = new StageRecorder(shell, current);
  }

  charts(): { name: string; svg: string }[] {
    try {
      return this.current.page?.chartSvgs() ?? [];
    } catch (e) {
      this.shell.notices.error(e, 'Charts');
      return [];
    }
  }

  chartSvg(name: string, svg: string): void {
    saveBlob(`${this.current.lab.id}-${name}.svg`, new Blob([svg], { type: 'image/svg+xml' }));
  }

  async snapshot(format: ExportFormat): Promise<void> {
    const { session, notices } = this.shell;
    const page = this.current.page;
    if (!page) return;
    try {
      const snap = await page.snapshot();
      // Why this backend, as runLab's meta.backendNote says it for the CLI (a lab's page may say more).
      const backendNote = session.gpu
        ? `WebGPU on the page (${session.gpu.isSoftware ? 'software' : 'hardware'} adapter)`
        : `CPU float64 reference on the page: ${session.unavailableReason ?? 'no WebGPU'}`;
      const s: Snapshot = { ...snap, meta: { backend: session.backend, adapter: session.adapter, backendNote, ...snap.meta } };
      const parts = exportSnapshotParts(s, format);
      saveBlob(suggestedFileName(s, format), new Blob(parts as BlobPart[], { type: MIME_TYPES[format] }));
    } catch (e) {
      notices.error(e, `Export as .${format} failed`);
    }
  }

  /** The stage as seen: canvas + the lab's SVG overlay, captured right after a rendered frame. */
  png(): void {
    const { layout, notices } = this.shell;
    const name = `${this.current.lab.id}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}.png`;
    this.shell.loop.whenFramed(() => {
      let capture: StageCapture;
      try {
        // Same task as the render: the WebGPU canvas's current texture is still readable.
        capture = captureStage(layout.canvas, layout.overlay);
      } catch (e) {
        notices.error(e, 'The canvas could not be captured as PNG');
        return;
      }
      capture.toPng().then(
        (blob) => saveBlob(name, blob),
        (e: unknown) => notices.error(e, 'The canvas could not be captured as PNG'),
      );
    });
  }

  importJson(file: File): Promise<void> {
    return this.current.enqueue(() => this.doImportJson(file));
  }

  private async doImportJson(file: File): Promise<void> {
    const { labs, notices, loop, url } = this.shell;
    let snap: Snapshot;
    let lab: AnyLab | undefined;
    let config: unknown;
    try {
      snap = parseSnapshotJson(await readFileText(file, FILE_LIMITS.snapshot, 'a .json snapshot')); // size checked before reading
      lab = labs.find((l) => l.id === snap.lab);
      if (!lab) throw new FieldError('lab', snap.lab, `one of ${labs.map((l) => JSON.stringify(l.id)).join(', ')}`);
      // The whole snapshot against its lab (config, arrays, shapes, finite state, resume), before
      // another lab is opened or anything is built.
      config = validateSnapshot(snap, lab).config;
    } catch (e) {
      notices.error(e, `Import of ${file.name} rejected (the current run is unchanged)`);
      return;
    }
    url.flush();
    if (lab !== this.current.lab) await this.current.openLab(lab, config);
    const page = this.current.page;
    if (!page) return;
    loop.playing = false;
    try {
      await loop.hold(() => page.restore({ ...snap, config }));
    } catch (e) {
      notices.error(e, `Import of ${file.name} failed`);
      return;
    }
    this.current.adoptRestored(config);
    const s = page.status();
    notices.show({ level: 'info', text: `Restored ${file.name} at step ${s.step} / ${s.steps}. Press Space to continue.` });
  }

  async copyLink(): Promise<void> {
    const { notices, url } = this.shell;
    url.flush();
    try {
      await navigator.clipboard.writeText(location.href);
      notices.show({ level: 'info', text: 'Link copied: it reopens this lab with every parameter and the seed.' });
    } catch {
      notices.show({ level: 'info', text: `Copy this link: ${location.href}` }, { sticky: true });
    }
  }
}
