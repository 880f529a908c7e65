// The last step of every lab's createPage: run the page's async init(), and release whatever it
// had already created (GPU buffers, DOM, workers) when init fails, so a failed lab switch leaks nothing.

export async function initPage<P extends { init(): Promise<void>; dispose(): void }>(page: P): Promise<P> {
  try {
    await page.init();
  } catch (e) {
    page.dispose();
    throw e;
  }
  return page;
}
