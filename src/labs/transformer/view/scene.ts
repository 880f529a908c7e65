// The WebGPU picture of the token trajectories: three.js's WebGPURenderer on the lab's GPUDevice
// drawing, for every token, the polyline X^0 -> X^L through depth as line segments coloured by
// depth (viridis; the query/CLS token in a red-orange ramp). The selected sequence is bright, the
// others dim (or hidden). 2-D layouts use an orthographic camera on the data bounds (shared with the
// overlay through a ScreenMap); 3-D layouts a perspective camera with OrbitControls on the canvas
// and a faint bounding box for orientation.
// GPU-resident: the segments are written by shaders/render/trajectory-segments.wgsl (run by
// segments-gpu.ts in the training frame's encoder) into a buffer of ours that three reads
// through a storage() node, handed over like particle-scene.ts does (setting the backend's record of
// a StorageBufferAttribute before first use). So the lines follow training every frame; only the
// camera and bounds come from the (lagging) read-back picture points that setData receives.
// Colours depend only on the layer and the part: a small (L+1)-entry table per part, built here.

import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { float, instanceIndex, select, storage, uint, varying, vec3, vec4, vertexIndex } from 'three/tsl';
import {
  BoxGeometry,
  BufferGeometry,
  Color,
  EdgesGeometry,
  Float32BufferAttribute,
  LineBasicNodeMaterial,
  LineSegments,
  OrthographicCamera,
  PerspectiveCamera,
  Scene,
  StorageBufferAttribute,
  Vector3,
  WebGPURenderer,
} from 'three/webgpu';
import { ScreenMap } from '../../shared/view/screen-map';
import type { Box } from './geometry';
import { PICTURE } from './palette';
import type { SegmentSpec, TrajectoryPicture } from './picture';
import type { SegmentLayout, TrajectorySegmentsGpu } from './segments-gpu';

export class TrajectoryScene implements TrajectoryPicture {
  private readonly scene = new Scene();
  private readonly ortho = new OrthographicCamera(-1, 1, 1, -1, -100, 100);
  private readonly persp = new PerspectiveCamera(40, 1, 0.01, 1000);
  private readonly controls: OrbitControls;
  private readonly lines: LineSegments[] = [];
  private box: LineSegments | null = null;
  private dims: 2 | 3 = 2;
  private width = 1;
  private height = 1;
  private map: ScreenMap | null = null;
  private viewListener: (() => void) | null = null;
  /** Writes the segments (the GPU run's); null: nothing to draw. */
  private source: TrajectorySegmentsGpu | null = null;
  /** The output layout the lines were built for. */
  private drawn: SegmentLayout | null = null;
  /** The colour tables (ours to dispose; the segment buffer's attribute is not: three would destroy it). */
  private readonly colourAttrs: StorageBufferAttribute[] = [];

  private constructor(
    private readonly renderer: WebGPURenderer,
    canvas: HTMLCanvasElement,
  ) {
    this.scene.background = new Color(PICTURE.background);
    this.controls = new OrbitControls(this.persp, canvas);
    this.controls.enabled = false;
    this.controls.addEventListener('change', () => {
      // project() reads matrixWorldInverse, which three updates only when it renders.
      this.persp.updateMatrixWorld();
      this.viewListener?.();
    });
  }

  static async create(canvas: HTMLCanvasElement, device: GPUDevice): Promise<TrajectoryScene> {
    const renderer = new WebGPURenderer({ canvas, device, antialias: true } as ConstructorParameters<typeof WebGPURenderer>[0]);
    await renderer.init();
    renderer.setPixelRatio(Math.min(2, globalThis.devicePixelRatio || 1));
    return new TrajectoryScene(renderer, canvas);
  }

  onViewChange(listener: () => void): void {
    this.viewListener = listener;
  }

  resize(width: number, height: number): void {
    this.width = Math.max(1, width);
    this.height = Math.max(1, height);
    this.renderer.setSize(this.width, this.height, false);
    this.persp.aspect = this.width / this.height;
    this.persp.updateProjectionMatrix();
  }

  /** The run's segment kernel (a new run, or none): lines are rebuilt at the next setData. */
  setSegmentSource(source: TrajectorySegmentsGpu | null): void {
    this.clearLines();
    this.source = source;
  }

  setData(spec: SegmentSpec, box: Box, map: ScreenMap | null, keepView: boolean): void {
    this.clearBox();
    const { dims } = spec.layout;
    const changed = dims !== this.dims;
    this.dims = dims;
    const seg = this.source?.configure(spec) ?? null;
    if (seg !== this.drawn || changed) {
      this.clearLines();
      if (seg) this.buildLines(seg, spec.L);
    }
    if (dims === 2 && map) {
      this.map = map;
      const b = map.bounds;
      Object.assign(this.ortho, { left: b.xMin, right: b.xMax, top: b.yMax, bottom: b.yMin });
      this.ortho.position.set(0, 0, 10);
      this.ortho.updateProjectionMatrix();
      this.controls.enabled = false;
    } else {
      this.map = null;
      this.controls.enabled = true;
      const size = box.max.map((v, i) => Math.max(1e-6, v - box.min[i]));
      const centre = new Vector3(...box.min.map((v, i) => v + size[i] / 2));
      const edges = new EdgesGeometry(new BoxGeometry(size[0], size[1], size[2]));
      this.box = new LineSegments(edges, new LineBasicNodeMaterial({ color: PICTURE.box, transparent: true, opacity: 0.7 }));
      this.box.position.copy(centre);
      this.scene.add(this.box);
      if (!keepView || changed) {
        const radius = 0.5 * Math.hypot(...size);
        this.persp.near = radius / 100;
        this.persp.far = radius * 100;
        this.persp.position.set(centre.x + 1.4 * radius, centre.y - 2.2 * radius, centre.z + 1.2 * radius);
        this.persp.up.set(0, 0, 1);
        this.controls.target.copy(centre);
        this.persp.updateProjectionMatrix();
        this.controls.update();
      }
      this.persp.updateMatrixWorld();
    }
  }

  /** Picture point -> CSS pixels on the canvas (null behind the camera). */
  project(x: number, y: number, z: number): [number, number] | null {
    if (this.dims === 2 && this.map) return [this.map.sx(x), this.map.sy(y)];
    const v = new Vector3(x, y, z).project(this.persp);
    if (!(v.z < 1) || !Number.isFinite(v.x) || !Number.isFinite(v.y)) return null;
    return [((v.x + 1) / 2) * this.width, ((1 - v.y) / 2) * this.height];
  }

  render(): void {
    this.renderer.render(this.scene, this.dims === 2 ? this.ortho : this.persp);
  }

  /** One LineSegments per part: instance i = segment first + i, vertex 0/1 = its two ends. */
  private buildLines(seg: SegmentLayout, L: number): void {
    const backend = this.renderer.backend as unknown as { get(o: object): { buffer?: GPUBuffer } };
    // A tiny CPU array: the GPU buffer is injected, three never uploads this one.
    const attr = new StorageBufferAttribute(new Float32Array(4), 4);
    backend.get(attr).buffer = seg.buffer;
    const points = storage(attr, 'vec4', seg.vec4s).toReadOnly();
    for (const part of seg.parts) {
      if (part.count === 0) continue;
      const table = new Float32Array((L + 1) * 4);
      for (let l = 0; l <= L; l++) {
        const c = part.colour(l / L);
        table.set([part.dim * c[0], part.dim * c[1], part.dim * c[2], 1], 4 * l);
      }
      const colourAttr = new StorageBufferAttribute(table, 4);
      this.colourAttrs.push(colourAttr);
      const colours = storage(colourAttr, 'vec4', L + 1).toReadOnly();
      const p = points.element(instanceIndex.add(uint(part.first)).mul(uint(2)).add(vertexIndex));
      // Segments are ordered (sequence, row, layer), so instance i joins layers i mod L and +1.
      const layer = instanceIndex.mod(uint(L)).add(vertexIndex);
      const mat = new LineBasicNodeMaterial({ transparent: part.opacity < 1, depthWrite: false, depthTest: this.dims === 3 });
      // w = 0: a non-finite segment (the CPU skips it), moved off screen.
      mat.positionNode = select(p.w.greaterThan(0.5), p.xyz, vec3(1e9, 1e9, 1e9));
      mat.colorNode = vec4(varying(colours.element(layer).xyz), 1);
      mat.opacityNode = float(part.opacity);
      const geom = new BufferGeometry();
      geom.setAttribute('position', new Float32BufferAttribute(new Float32Array(6), 3));
      const obj = new LineSegments(geom, mat);
      (obj as unknown as { count: number }).count = part.count;
      obj.renderOrder = part.order;
      obj.frustumCulled = false;
      this.lines.push(obj);
      this.scene.add(obj);
    }
    this.drawn = seg;
  }

  private clearLines(): void {
    for (const o of this.lines) {
      this.scene.remove(o);
      o.geometry.dispose();
      (o.material as LineBasicNodeMaterial).dispose();
    }
    this.lines.length = 0;
    for (const a of this.colourAttrs) a.dispose();
    this.colourAttrs.length = 0;
    // The buffer belongs to TrajectorySegmentsGpu (replaced, never reused, when it grows).
    this.drawn = null;
  }

  private clearBox(): void {
    if (!this.box) return;
    this.scene.remove(this.box);
    this.box.geometry.dispose();
    (this.box.material as LineBasicNodeMaterial).dispose();
    this.box = null;
  }

  dispose(): void {
    this.viewListener = null;
    this.controls.dispose();
    this.clearLines();
    this.clearBox();
    this.source = null;
    this.renderer.dispose();
  }
}
