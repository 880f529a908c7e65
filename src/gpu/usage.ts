// GPUBufferUsage flags by name, as plain numbers (the values of the WebGPU spec's GPUBufferUsage
// namespace), so modules can combine them at load time in Node before the `webgpu` package has
// installed its globals. Every buffer usage in the code base is spelled with these names.

export const BufferUsage = {
  MAP_READ: 0x0001,
  MAP_WRITE: 0x0002,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  INDEX: 0x0010,
  VERTEX: 0x0020,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
  INDIRECT: 0x0100,
  QUERY_RESOLVE: 0x0200,
} as const;

const U = BufferUsage;

/** Read-write storage that can be uploaded to and read back. */
export const STORAGE_RW = U.STORAGE | U.COPY_DST | U.COPY_SRC;
/** Storage the host uploads and kernels only read. */
export const STORAGE_R = U.STORAGE | U.COPY_DST;
/** A uniform buffer the host rewrites. */
export const UNIFORM_W = U.UNIFORM | U.COPY_DST;
/** Storage a render pipeline also reads as vertices (GPU-resident pictures). */
export const STORAGE_VERTEX = U.STORAGE | U.VERTEX | U.COPY_DST | U.COPY_SRC;
/** A staging buffer for readbacks. */
export const READBACK = U.MAP_READ | U.COPY_DST;
