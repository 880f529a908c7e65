// A lab's WebGPU picture (shared by score-mixing and primal-dual): three.js's WebGPURenderer
// created on the lab's own GPUDevice, drawing
//  - an optional background image, e.g. score-mixing's potential colour map (a DataTexture filled from the asynchronously read-back field grid),
//  - trails (line segments pulled from a ring buffer of past projected positions),
//  - particles (screen-sized sprites pulled from the projected position buffer).
// Particle data never visits the CPU: shaders/render/project.wgsl (run by ParticleProjector in
// the same command encoder as the simulation steps) reads the simulation's state buffer and
// writes GPU buffers that three reads through storage() nodes. The buffers are ours; they are
// handed to three by setting the backend's record of the StorageBufferAttribute before first
// use (three then skips creating its own, see WebGPUAttributeUtils.createAttribute).
// Compare mode (score-mixing): the buffers may hold several batches of `size` particles one after
// another; each batch's particles and trails are then drawn in its own colour (BatchColours).

import {
  DataTexture,
  LineBasicNodeMaterial,
  LineSegments,
  BufferGeometry,
  Float32BufferAttribute,
  Mesh,
  MeshBasicNodeMaterial,
  OrthographicCamera,
  PlaneGeometry,
  PointsNodeMaterial,
  RGBAFormat,
  SRGBColorSpace,
  Scene,
  Sprite,
  StorageBufferAttribute,
  UnsignedByteType,
  LinearFilter,
  Color,
  WebGPURenderer,
} from 'three/webgpu';
import { float, instanceIndex, select, storage, uint, uniform, vec3, vec4, vertexIndex, uv, smoothstep, length, varying } from 'three/tsl';
import type { Bounds } from './screen-map';

export { trailLengthFor } from '../trails';

/** Consecutive batches of `size` particles, batch b drawn in colours[b] (CSS hex, sRGB). */
export interface BatchColours {
  size: number;
  colours: readonly string[];
}

/** The usual particle colour (linear RGB) and trail colour. */
const PARTICLE_RGB: [number, number, number] = [1.0, 0.93, 0.75];
const TRAIL_RGB: [number, number, number] = [0.55, 0.85, 1.0];

/** A vec3 colour node (select() of two vec3 nodes is one too). */
type ColourNode = ReturnType<typeof vec3>;

/**
 * The colour of the instance drawn (instanceIndex): `first` without batches; else colours[b] for
 * the batch b = floor(instanceIndex / size) (a chain of selects: a few batches at most), batch 0 in
 * `first` (the usual colour), so a single batch looks as before.
 */
function batchColourNode(batches: BatchColours | undefined, first: [number, number, number]): ColourNode {
  let node = vec3(first[0], first[1], first[2]) as unknown as ColourNode;
  if (!batches || batches.colours.length <= 1) return node;
  // Ascending: the last select whose threshold the index passes decides.
  for (let b = 1; b < batches.colours.length; b++) {
    const c = new Color(batches.colours[b]); // sRGB hex to the renderer's linear working space
    node = select(instanceIndex.greaterThanEqual(uint(b * batches.size)), vec3(c.r, c.g, c.b), node) as unknown as ColourNode;
  }
  return node;
}

export class ParticleScene {
  readonly renderer: WebGPURenderer;
  private readonly scene = new Scene();
  private readonly camera = new OrthographicCamera(-1, 1, 1, -1, -10, 10);
  private fieldMesh: Mesh | null = null;
  private fieldTexture: DataTexture | null = null;
  private particles: Sprite | null = null;
  private trails: LineSegments | null = null;
  private posAttr: StorageBufferAttribute | null = null;
  private trailAttr: StorageBufferAttribute | null = null;
  /** Ring head and number of valid slots, read by the trail vertex shader. */
  private readonly uHead = uniform(0, 'uint');
  private readonly uFilled = uniform(1, 'uint');
  private readonly uPointSize = uniform(3);
  trailLength = 0;
  showTrails = true;

  private constructor(renderer: WebGPURenderer) {
    this.renderer = renderer;
    this.scene.background = new Color(0x101018);
  }

  static async create(canvas: HTMLCanvasElement, device: GPUDevice): Promise<ParticleScene> {
    const renderer = new WebGPURenderer({ canvas, device, antialias: true } as ConstructorParameters<typeof WebGPURenderer>[0]);
    await renderer.init();
    renderer.setPixelRatio(Math.min(2, globalThis.devicePixelRatio || 1));
    return new ParticleScene(renderer);
  }

  resize(width: number, height: number): void {
    this.renderer.setSize(Math.max(1, width), Math.max(1, height), false);
  }

  setBounds(b: Bounds): void {
    Object.assign(this.camera, { left: b.xMin, right: b.xMax, top: b.yMax, bottom: b.yMin });
    this.camera.position.set(0, 0, 5);
    this.camera.updateProjectionMatrix();
  }

  /**
   * Bind GPU buffers `positions` (count vec4) and `trail` (trailLength*count vec4) to new draw
   * objects; `batches`: colour the particles (and their trails) per batch.
   */
  setParticleBuffers(positions: GPUBuffer, trail: GPUBuffer, count: number, trailLength: number, batches?: BatchColours): void {
    this.clearParticles();
    this.trailLength = trailLength;
    const backend = this.renderer.backend as unknown as { get(o: object): { buffer?: GPUBuffer } };
    // Small CPU arrays: the GPU buffers are injected, three never uploads these.
    this.posAttr = new StorageBufferAttribute(new Float32Array(4), 4);
    this.trailAttr = new StorageBufferAttribute(new Float32Array(4), 4);
    backend.get(this.posAttr).buffer = positions;
    backend.get(this.trailAttr).buffer = trail;

    const pos = storage(this.posAttr, 'vec4', count).toReadOnly();
    const p = pos.element(instanceIndex);
    const mat = new PointsNodeMaterial({ transparent: true, depthWrite: false, depthTest: false });
    // Non-finite particles (w = 0) are moved off screen.
    mat.positionNode = select(p.w.greaterThan(0.5), vec3(p.x, p.y, float(0.1)), vec3(1e9, 1e9, 0));
    mat.sizeNode = this.uPointSize;
    mat.colorNode = vec4(batchColourNode(batches, PARTICLE_RGB), 1.0);
    mat.opacityNode = smoothstep(float(0.5), float(0.25), length(uv().sub(0.5))).mul(0.9);
    const sprite = new Sprite(mat);
    sprite.count = count;
    sprite.frustumCulled = false;
    sprite.renderOrder = 2;
    this.particles = sprite;

    const L = trailLength;
    const tr = storage(this.trailAttr, 'vec4', count * L).toReadOnly();
    const segVerts = 2 * (L - 1);
    const geom = new BufferGeometry();
    geom.setAttribute('position', new Float32BufferAttribute(new Float32Array(segVerts * 3), 3));
    const lmat = new LineBasicNodeMaterial({ transparent: true, depthWrite: false, depthTest: false });
    // Vertex v of segment s = floor(v/2) joins ages s and s+1 (age 0 = newest slot). Ages past
    // the filled part of the ring collapse onto age 0, giving empty segments.
    const seg = vertexIndex.div(uint(2));
    const ageRaw = seg.add(vertexIndex.mod(uint(2)));
    const filled = this.uFilled;
    const age = select(ageRaw.lessThan(filled), ageRaw, uint(0));
    const slot = this.uHead.add(uint(L)).sub(age).mod(uint(L));
    const q = tr.element(slot.mul(uint(count)).add(instanceIndex));
    lmat.positionNode = select(q.w.greaterThan(0.5), vec3(q.x, q.y, float(0)), vec3(1e9, 1e9, 0));
    const fade = varying(float(1).sub(float(age).div(float(L - 1))));
    // Compared batches: each trail in its batch's colour (one colour for all without batches).
    lmat.colorNode = vec4(batches && batches.colours.length > 1 ? batchColourNode(batches, PARTICLE_RGB) : vec3(TRAIL_RGB[0], TRAIL_RGB[1], TRAIL_RGB[2]), 1.0);
    lmat.opacityNode = fade.mul(fade).mul(count > 20_000 ? 0.25 : 0.5);
    const lines = new LineSegments(geom, lmat);
    (lines as unknown as { count: number }).count = count;
    lines.frustumCulled = false;
    lines.renderOrder = 1;
    lines.visible = this.showTrails;
    this.trails = lines;
    this.scene.add(lines, sprite);
  }

  /** Trail ring state after the projector wrote slot `head`; `filled` slots hold data. */
  setTrailHead(head: number, filled: number): void {
    this.uHead.value = head;
    this.uFilled.value = Math.max(1, Math.min(filled, this.trailLength));
  }

  setTrailsVisible(v: boolean): void {
    this.showTrails = v;
    if (this.trails) this.trails.visible = v;
  }

  setPointSize(px: number): void {
    this.uPointSize.value = px;
  }

  /** Show RGBA pixels (row 0 at the bottom) stretched over `b`. */
  setFieldImage(rgba: Uint8Array, width: number, height: number, b: Bounds): void {
    if (!this.fieldTexture || this.fieldTexture.image.width !== width || this.fieldTexture.image.height !== height) {
      this.fieldTexture?.dispose();
      if (this.fieldMesh) {
        this.scene.remove(this.fieldMesh);
        this.fieldMesh.geometry.dispose();
        (this.fieldMesh.material as MeshBasicNodeMaterial).dispose();
      }
      const tex = new DataTexture(new Uint8Array(rgba), width, height, RGBAFormat, UnsignedByteType);
      tex.colorSpace = SRGBColorSpace;
      tex.magFilter = LinearFilter;
      tex.minFilter = LinearFilter;
      tex.needsUpdate = true;
      this.fieldTexture = tex;
      const mat = new MeshBasicNodeMaterial({ map: tex, depthWrite: false, depthTest: false });
      this.fieldMesh = new Mesh(new PlaneGeometry(1, 1), mat);
      this.fieldMesh.renderOrder = 0;
      this.fieldMesh.frustumCulled = false;
      this.scene.add(this.fieldMesh);
    } else {
      (this.fieldTexture.image.data as Uint8Array).set(rgba);
      this.fieldTexture.needsUpdate = true;
    }
    this.fieldMesh!.position.set((b.xMin + b.xMax) / 2, (b.yMin + b.yMax) / 2, -1);
    this.fieldMesh!.scale.set(b.xMax - b.xMin, b.yMax - b.yMin, 1);
  }

  hasField(): boolean {
    return this.fieldMesh !== null;
  }

  render(): void {
    this.renderer.render(this.scene, this.camera);
  }

  private clearParticles(): void {
    for (const o of [this.particles, this.trails]) {
      if (!o) continue;
      this.scene.remove(o);
      o.geometry.dispose();
      (o.material as PointsNodeMaterial).dispose();
    }
    this.particles = null;
    this.trails = null;
    // The buffers belong to ParticleProjector, which replaces (never reuses) them when the count
    // changes; three may destroy them later when it drops these attributes, which is harmless.
    this.posAttr = null;
    this.trailAttr = null;
  }

  dispose(): void {
    this.clearParticles();
    this.fieldTexture?.dispose();
    if (this.fieldMesh) {
      this.fieldMesh.geometry.dispose();
      (this.fieldMesh.material as MeshBasicNodeMaterial).dispose();
    }
    this.renderer.dispose();
  }
}
