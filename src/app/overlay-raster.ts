// The lab's SVG overlay as a bitmap, for the video recording (stage-recorder.ts): each recorded
// frame draws this bitmap over the canvas, and the bitmap is rebuilt only when the overlay changed.
//
// Why not every frame: turning the overlay into pixels means inlining computed styles element by
// element, serialising the SVG and decoding it as an image (png-export.ts) — milliseconds per
// frame on a busy overlay, and asynchronous. So a MutationObserver marks the overlay changed
// (children, attributes, text), as does a move or resize of the stage canvas, and refresh() — called
// right after a rendered frame, never waiting — starts a rebuild when it is marked, at most
// MAX_REBUILDS_PER_SECOND times a second and one at a time. Until a rebuild has decoded, frames show
// the previous bitmap, so an overlay animated every frame appears in the video at that rate. The
// recording starts after a first bitmap (prime), so its first frame has the overlay too.

import { serialiseOverlay, svgImage, type Placement } from './png-export';

const MAX_REBUILDS_PER_SECOND = 5;

export class OverlayRaster {
  /** The overlay in the recording's pixels (transparent where the overlay paints nothing). */
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly observer: MutationObserver;
  private changed = true;
  private building = false;
  private lastBuild = -Infinity;
  /** Where the stage canvas was when the bitmap was built (a move or resize moves the overlay). */
  private placement = '';
  private disposed = false;

  constructor(
    private readonly overlay: HTMLElement,
    width: number,
    height: number,
    private readonly onError: (e: unknown) => void,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.width = width;
    this.canvas.height = height;
    const ctx = this.canvas.getContext('2d');
    if (!ctx) throw new Error('no 2-D canvas context for the overlay');
    this.ctx = ctx;
    this.observer = new MutationObserver(() => (this.changed = true));
    this.observer.observe(overlay, { subtree: true, childList: true, attributes: true, characterData: true });
  }

  /** Right after a rendered frame: start a rebuild if the overlay changed and one is due. */
  refresh(stage: HTMLCanvasElement, now: number): void {
    if (this.disposed || this.building) return;
    const placement = placementOf(stage);
    if (placement !== this.placement) this.changed = true;
    if (!this.changed || now - this.lastBuild < 1000 / MAX_REBUILDS_PER_SECOND) return;
    void this.build(stage, placement, now);
  }

  /** Builds the bitmap now; resolves once it is drawn (the recording's first frame waits for it). */
  prime(stage: HTMLCanvasElement): Promise<void> {
    return this.build(stage, placementOf(stage), performance.now());
  }

  private build(stage: HTMLCanvasElement, placement: string, now: number): Promise<void> {
    this.changed = false;
    this.placement = placement;
    this.lastBuild = now;
    this.building = true;
    // Serialised now (the overlay as it is with this frame), decoded later.
    const layers = serialiseOverlay(this.overlay, stage);
    // Where the stage canvas goes in the video (it may have been resized since the recording began).
    const at = fitInside(stage, this.canvas);
    const scaleX = at.width / stage.width;
    const scaleY = at.height / stage.height;
    return Promise.all(layers.map(svgImage))
      .then((images) => {
        if (this.disposed) return;
        this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
        images.forEach((img, i) => {
          const l = layers[i];
          this.ctx.drawImage(img, at.x + l.x * scaleX, at.y + l.y * scaleY, l.width * scaleX, l.height * scaleY);
        });
      })
      .catch((e: unknown) => {
        if (!this.disposed) this.onError(e);
      })
      .finally(() => {
        this.building = false;
      });
  }

  dispose(): void {
    this.disposed = true;
    this.observer.disconnect();
  }
}

/** Where the stage canvas is and how big (a move or resize moves the overlay within the video). */
function placementOf(stage: HTMLCanvasElement): string {
  const r = stage.getBoundingClientRect();
  return `${r.left},${r.top},${r.width},${r.height},${stage.width},${stage.height}`;
}

/**
 * Where a picture the size of `stage` goes in `frame`: as large as fits with its aspect ratio kept,
 * centred. The video's size is fixed when it starts; a stage resized later is letterboxed into it.
 */
export function fitInside(stage: { width: number; height: number }, frame: { width: number; height: number }): Placement {
  const scale = Math.min(frame.width / Math.max(stage.width, 1), frame.height / Math.max(stage.height, 1));
  const width = stage.width * scale;
  const height = stage.height * scale;
  return { x: (frame.width - width) / 2, y: (frame.height - height) / 2, width, height };
}
