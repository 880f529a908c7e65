// The WebGPU picture of the token trajectories: three.js's WebGPURenderer on the lab's GPUDevice
// drawing, for every token, the polyline X^0 -> X^L through depth as line segments coloured by
// depth (viridis; the query/CLS token in a red-orange ramp). The selected sequence is bright, the
// others dim (or hidden). 2-D layouts use an orthographic camera on the data bounds (shared with the
// overlay through a ScreenMap); 3-D layouts a perspective camera with OrbitControls on the canvas
// and a faint bounding box for orientation. Vertices are built on the CPU from read-back states
// (view-geometry.ts picturePoints): trajectories change only when the heads or tokens do.

import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
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
  Vector3,
  WebGPURenderer,
} from 'three/webgpu';
import { ScreenMap } from '../shared/screen-map';
import type { Box } from './view-geometry';
import { trajectorySegments, type SegmentSpec, type TrajectoryPicture } from './view-picture';

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

  private constructor(
    private readonly renderer: WebGPURenderer,
    canvas: HTMLCanvasElement,
  ) {
    this.scene.background = new Color(0x101018);
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

  setData(spec: SegmentSpec, box: Box, map: ScreenMap | null, keepView: boolean): void {
    this.clear();
    const { dims } = spec.layout;
    const changed = dims !== this.dims;
    this.dims = dims;
    for (const part of trajectorySegments(spec)) {
      if (part.count === 0) continue;
      const geom = new BufferGeometry();
      geom.setAttribute('position', new Float32BufferAttribute(part.positions, 3));
      geom.setAttribute('color', new Float32BufferAttribute(part.colours, 3));
      const mat = new LineBasicNodeMaterial({ vertexColors: true, transparent: part.opacity < 1, opacity: part.opacity, depthWrite: false, depthTest: dims === 3 });
      const obj = new LineSegments(geom, mat);
      obj.renderOrder = part.order;
      obj.frustumCulled = false;
      this.lines.push(obj);
      this.scene.add(obj);
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
      this.box = new LineSegments(edges, new LineBasicNodeMaterial({ color: 0x445066, transparent: true, opacity: 0.7 }));
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

  private clear(): void {
    for (const o of [...this.lines, ...(this.box ? [this.box] : [])]) {
      this.scene.remove(o);
      o.geometry.dispose();
      (o.material as LineBasicNodeMaterial).dispose();
    }
    this.lines.length = 0;
    this.box = null;
  }

  dispose(): void {
    this.viewListener = null;
    this.controls.dispose();
    this.clear();
    this.renderer.dispose();
  }
}
