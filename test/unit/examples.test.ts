// The example inputs in public/examples/ (downloads in the page's "?" dialog, named in the README)
// and the page's favicon and web app manifest. Every example must parse with the parser its kind
// names (src/app/examples.ts): whole configs with the lab's parseConfig, as `flowlab run --config`
// does; point sets with the page's point-set reader; token files and A/b problems merged into the
// lab's default config the way the pages' import buttons do it.

import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_FILES, type ExampleFile } from '../../src/app/examples';
import { getLab } from '../../src/labs/registry';
import { parsePointSetFile } from '../../src/labs/score-mixing/point-sets';

const root = resolve(__dirname, '../..');
const folder = join(root, 'public/examples');
const read = (e: ExampleFile): string => readFileSync(join(folder, e.file), 'utf8');

const defaults = (lab: string): Record<string, unknown> => getLab(lab).defaultConfig() as Record<string, unknown>;

/** Parses `e` as the page or the CLI would; returns the config it leads to. */
async function parseExample(e: ExampleFile): Promise<unknown> {
  const lab = getLab(e.lab);
  switch (e.kind) {
    case 'config':
      return lab.parseConfig(JSON.parse(read(e)));
    case 'point-set': {
      const ps = parsePointSetFile(e.file, read(e));
      // As mu1 of the default config: the page's "import mu1" does the same.
      return lab.parseConfig({ ...defaults(e.lab), mu1: ps });
    }
    case 'tokens': {
      const sequences = JSON.parse(read(e)) as number[][][];
      expect(Array.isArray(sequences) && sequences.every((s) => Array.isArray(s) && s.every(Array.isArray)), 'a B x n x d array').toBe(true);
      return lab.parseConfig({ ...defaults(e.lab), d: sequences[0][0].length, sequences });
    }
    case 'problem': {
      const problem = JSON.parse(read(e)) as Record<string, unknown>;
      expect(Object.keys(problem).sort()).toEqual(['A', 'b', 'objective']);
      return lab.parseConfig({ ...defaults(e.lab), ...problem });
    }
  }
}

describe('public/examples', () => {
  it('holds exactly the files the help dialog lists', () => {
    expect(readdirSync(folder).sort()).toEqual(EXAMPLE_FILES.map((e) => e.file).sort());
  });

  for (const e of EXAMPLE_FILES) {
    it(`${e.file} is a valid ${e.lab} ${e.kind}`, async () => {
      const config = await parseExample(e);
      expect(config).toBeTruthy();
    });
  }

  it('the CSV and JSON point sets are the same points', () => {
    const [json, csv] = ['score-mixing-points.json', 'score-mixing-points.csv'].map((f) => parsePointSetFile(f, readFileSync(join(folder, f), 'utf8')));
    expect(csv).toEqual(json);
  });

  it('the transformer token file keeps its tokens in the config', async () => {
    const e = EXAMPLE_FILES.find((x) => x.kind === 'tokens')!;
    const config = (await parseExample(e)) as { sequences: number[][][] };
    expect(config.sequences).toEqual(JSON.parse(read(e)));
  });
});

describe('favicon and web app manifest', () => {
  const html = readFileSync(join(root, 'index.html'), 'utf8');

  it('index.html links public/favicon.svg and public/manifest.webmanifest', () => {
    expect(html).toMatch(/<link rel="icon" href="\/favicon.svg" type="image\/svg\+xml"/);
    expect(html).toMatch(/<link rel="manifest" href="\/manifest.webmanifest"/);
    expect(readFileSync(join(root, 'public/favicon.svg'), 'utf8')).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*viewBox=/);
  });

  it('the manifest names the app and an icon that exists', () => {
    const m = JSON.parse(readFileSync(join(root, 'public/manifest.webmanifest'), 'utf8'));
    expect(m.name).toMatch(/Flowlab/);
    expect(m.start_url).toBe('./');
    for (const icon of m.icons) expect(readdirSync(join(root, 'public'))).toContain(icon.src);
  });
});
