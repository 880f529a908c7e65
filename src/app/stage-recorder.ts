// "Record video": the stage as the user sees it — the lab's canvas with its SVG overlay, as in the
// PNG export — recorded as WebM with MediaRecorder, saved as `<lab>-<timestamp>.webm`.
//
// Each rendered frame is composed into a 2-D canvas whose captureStream() feeds the MediaRecorder.
// The composition happens in a FrameLoop.whenFramed hook, i.e. in the task that rendered the frame,
// because a WebGPU canvas's texture is only readable there; the hook is synchronous (the frame loop
// never waits on the recording) and re-arms itself for the next frame. While the run is paused the
// picture rarely changes, so the hook asks for a frame only every PAUSED_FRAME_MS instead of forcing
// every animation frame to render (SwiftShader renders on the CPU). The overlay is redrawn into the
// video only when it changed (overlay-raster.ts). The video's size is the stage canvas's when the
// recording starts (even, at most MAX_SIDE); a stage resized later is letterboxed into it.
//
// The recording stops on demand (toggle) or when the run ends — its status turns done or halted
// during the recording (one started on a finished run goes on until stopped).

import type { CurrentLab } from './current-lab';
import { saveBlob } from './dom';
import { fitInside, OverlayRaster } from './overlay-raster';
import { drawStageCanvas } from './png-export';
import type { ShellParts } from './shell-parts';

/** Preferred first: VP9 is sharper at the same bit rate; every WebM-recording browser has VP8. */
export const WEBM_TYPES = ['video/webm;codecs=vp9', 'video/webm;codecs=vp8', 'video/webm'] as const;
/** Thin lines and small labels need more than MediaRecorder's default rate (~2.5 Mbit/s). */
const BITS_PER_SECOND = 8_000_000;
/** The longer side of the video at most (a 4K stage at devicePixelRatio 2 is scaled down). */
const MAX_SIDE = 1920;
/** Paused: one composed frame per this many ms (the picture only changes on interaction). */
const PAUSED_FRAME_MS = 100;
/** Chunks are handed over every second, so a long recording is not one growing buffer. */
const TIMESLICE_MS = 1000;

/** The recording as the menu and the indicator see it. */
export interface VideoRecording {
  /** Why this browser cannot record (the menu item is disabled with it), or null. */
  readonly unsupportedReason: string | null;
  /** performance.now() at the start of the current recording, or null when not recording. */
  readonly startedAt: number | null;
  toggle(): void;
  /** `fn` runs after every start and stop. */
  onChange(fn: () => void): void;
}

/** The first of WEBM_TYPES that MediaRecorder can record, or null. */
export function pickWebmType(isTypeSupported: (type: string) => boolean): string | null {
  return WEBM_TYPES.find((t) => isTypeSupported(t)) ?? null;
}

function unsupportedReason(): string | null {
  if (typeof MediaRecorder === 'undefined') return 'This browser has no MediaRecorder, so it cannot record video.';
  if (typeof HTMLCanvasElement.prototype.captureStream !== 'function') return 'This browser cannot stream a canvas (no captureStream), so it cannot record video.';
  if (!pickWebmType((t) => MediaRecorder.isTypeSupported(t))) return 'This browser cannot record WebM video.';
  return null;
}

/** Even dimensions (video encoders want them), the longer side at most MAX_SIDE. */
function videoSize(width: number, height: number): { width: number; height: number } {
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height, 1));
  const even = (v: number): number => Math.max(2, 2 * Math.round((v * scale) / 2));
  return { width: even(width), height: even(height) };
}

/** One recording, from start to the saved file. */
interface Take {
  readonly recorder: MediaRecorder;
  readonly stream: MediaStream;
  readonly ctx: CanvasRenderingContext2D;
  readonly raster: OverlayRaster;
  readonly fileName: string;
  /** The WebM type asked of MediaRecorder (its mimeType may add the codec's parameters). */
  readonly type: string;
  readonly startedAt: number;
  readonly chunks: Blob[];
  /** The run's end state at the last frame (a change to ended stops the recording). */
  ended: boolean;
  frames: number;
}

export class StageRecorder implements VideoRecording {
  readonly unsupportedReason = unsupportedReason();
  private take: Take | null = null;
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly shell: ShellParts,
    private readonly current: CurrentLab,
  ) {}

  get startedAt(): number | null {
    return this.take?.startedAt ?? null;
  }

  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  toggle(): void {
    if (this.take) this.stop();
    else this.start();
  }

  start(): void {
    if (this.take || this.unsupportedReason) return;
    const { layout, loop, notices } = this.shell;
    let take: Take;
    try {
      take = this.newTake();
    } catch (e) {
      notices.error(e, 'The video recording could not start');
      return;
    }
    this.take = take;
    this.changed();
    // Frames are recorded once the overlay's first bitmap is ready, so the first one has it too.
    void take.raster.prime(layout.canvas).finally(() => {
      if (this.take !== take) return;
      try {
        take.recorder.start(TIMESLICE_MS);
      } catch (e) {
        notices.error(e, 'The video recording could not start');
        this.stop();
        return;
      }
      loop.whenFramed(() => this.capture(take));
    });
  }

  /** Ends the recording; the file is saved once MediaRecorder has handed over the last data. */
  stop(): void {
    const take = this.take;
    if (!take) return;
    this.take = null;
    take.raster.dispose();
    if (take.recorder.state !== 'inactive') take.recorder.stop();
    else this.save(take); // stopped before it started: says that nothing was recorded
    for (const track of take.stream.getTracks()) track.stop();
    this.changed();
  }

  private newTake(): Take {
    const { layout, notices } = this.shell;
    const type = pickWebmType((t) => MediaRecorder.isTypeSupported(t))!;
    const size = videoSize(layout.canvas.width, layout.canvas.height);
    const canvas = document.createElement('canvas');
    canvas.width = size.width;
    canvas.height = size.height;
    const ctx = canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('no 2-D canvas context for the video');
    const stream = canvas.captureStream();
    const recorder = new MediaRecorder(stream, { mimeType: type, videoBitsPerSecond: BITS_PER_SECOND });
    const raster = new OverlayRaster(layout.overlay, size.width, size.height, (e) =>
      notices.error(e, 'The overlay could not be drawn into the video', { key: 'recording-overlay' }),
    );
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    const take: Take = {
      recorder,
      stream,
      ctx,
      raster,
      fileName: `${this.current.lab.id}-${stamp}.webm`,
      type,
      startedAt: performance.now(),
      chunks: [],
      ended: this.runEnded(),
      frames: 0,
    };
    recorder.addEventListener('dataavailable', (e) => {
      if (e.data.size > 0) take.chunks.push(e.data);
    });
    recorder.addEventListener('error', (e) => {
      notices.error((e as ErrorEvent).error ?? e, 'The video recording failed');
      if (this.take === take) this.stop();
    });
    recorder.addEventListener('stop', () => this.save(take));
    return take;
  }

  /** Right after a rendered frame (same task): compose it into the video, then re-arm. */
  private capture(take: Take | null): void {
    if (!take || take !== this.take) return;
    const { layout, loop, notices } = this.shell;
    const { canvas } = take.ctx;
    try {
      drawStageCanvas(take.ctx, layout.canvas, fitInside(layout.canvas, canvas));
      take.raster.refresh(layout.canvas, performance.now());
      take.ctx.drawImage(take.raster.canvas, 0, 0);
      take.frames++;
    } catch (e) {
      notices.error(e, 'The video recording stopped: the stage could not be captured');
      this.stop();
      return;
    }
    const ended = this.runEnded();
    if (ended && !take.ended) {
      this.stop(); // the frame that ended the run is the video's last
      return;
    }
    take.ended = ended;
    if (loop.playing) loop.whenFramed(() => this.capture(take));
    else setTimeout(() => take === this.take && loop.whenFramed(() => this.capture(take)), PAUSED_FRAME_MS);
  }

  private runEnded(): boolean {
    const s = this.current.page?.status();
    return !!s && (s.done || !!s.haltedReason);
  }

  private save(take: Take): void {
    const { notices } = this.shell;
    const seconds = Math.round((performance.now() - take.startedAt) / 1000);
    if (take.frames === 0 || take.chunks.length === 0) {
      notices.show({ level: 'warn', text: 'The video recording ended before a frame was drawn: nothing was saved.' });
      return;
    }
    saveBlob(take.fileName, new Blob(take.chunks, { type: take.recorder.mimeType || take.type }));
    notices.show({ level: 'info', text: `Saved the video ${take.fileName} (${seconds} s, ${take.frames} frames).` });
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }
}
