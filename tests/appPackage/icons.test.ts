import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Bitmap, decodePng, encodePng, outlineSvg, renderIcons } from '../../scripts/icons';
import { pngSize } from '../../scripts/package';
import { APP_DIR, ROOT } from './fixtures';

const run = promisify(execFile);
const source = readFileSync(join(APP_DIR, 'icon.svg'), 'utf8');
const committed = {
  color: readFileSync(join(APP_DIR, 'color.png')),
  outline: readFileSync(join(APP_DIR, 'outline.png')),
};

/**
 * The largest difference of any channel of any pixel. The committed PNGs are compared by pixels, not bytes: zlib
 * may compress the same pixels differently from one Node version to the next.
 */
function maxDifference(a: Bitmap, b: Bitmap): number {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let max = 0;
  for (let i = 0; i < a.data.length; i++) max = Math.max(max, Math.abs(a.data[i] - b.data[i]));
  return max;
}

function pixels(bitmap: Bitmap): Array<[number, number, number, number]> {
  const out: Array<[number, number, number, number]> = [];
  for (let i = 0; i < bitmap.data.length; i += 4) {
    out.push([bitmap.data[i], bitmap.data[i + 1], bitmap.data[i + 2], bitmap.data[i + 3]]);
  }
  return out;
}

describe('app icons', () => {
  it('are PNGs of the sizes Teams requires (width and height from bytes 16–23)', () => {
    expect(committed.color.readUInt32BE(16)).toBe(192);
    expect(committed.color.readUInt32BE(20)).toBe(192);
    expect(committed.outline.readUInt32BE(16)).toBe(32);
    expect(committed.outline.readUInt32BE(20)).toBe(32);
    expect(pngSize(committed.color)).toEqual({ width: 192, height: 192 });
    expect(pngSize(committed.outline)).toEqual({ width: 32, height: 32 });
    expect(pngSize(Buffer.from('not a png, but long enough to have bytes 16-23'))).toBeUndefined();
  });

  it('outline.png is white on transparent: every pixel fully transparent or white, and the mark is there', () => {
    const outline = pixels(decodePng(committed.outline));
    const offending = outline.filter(([r, g, b, a]) => a !== 0 && (r !== 255 || g !== 255 || b !== 255));
    expect(offending).toEqual([]);
    const opaque = outline.filter(([, , , a]) => a === 255).length;
    const transparent = outline.filter(([, , , a]) => a === 0).length;
    expect(opaque).toBeGreaterThan(outline.length / 5);
    expect(transparent).toBeGreaterThan(outline.length / 5);
  });

  it('color.png is opaque, with the accent colour of the manifest as background', () => {
    const color = decodePng(committed.color);
    expect(pixels(color).every(([, , , a]) => a === 255)).toBe(true);
    const accent = (JSON.parse(readFileSync(join(APP_DIR, 'manifest.json'), 'utf8')) as { accentColor: string }).accentColor;
    const corner = [...color.data.subarray(0, 3)].map((n) => n.toString(16).padStart(2, '0')).join('');
    expect(`#${corner}`.toLowerCase()).toBe(accent.toLowerCase());
  });

  it('rendering is deterministic: the same SVG gives the same bytes', () => {
    const first = renderIcons(source);
    const second = renderIcons(source);
    expect(encodePng(second.color).equals(encodePng(first.color))).toBe(true);
    expect(encodePng(second.outline).equals(encodePng(first.outline))).toBe(true);
  });

  it('the committed PNGs equal a fresh render of icon.svg (run npm run icons after changing it)', () => {
    const fresh = renderIcons(source);
    expect(maxDifference(decodePng(committed.color), fresh.color)).toBe(0);
    expect(maxDifference(decodePng(committed.outline), fresh.outline)).toBe(0);
  });

  it('a change to the SVG changes the render (so the comparison above can fail)', () => {
    const changed = renderIcons(source.replace('fill="#1B5E7A"', 'fill="#1B5E7B"').replace('rx="3"', 'rx="1"'));
    expect(maxDifference(decodePng(committed.color), changed.color)).toBeGreaterThan(0);
    expect(maxDifference(decodePng(committed.outline), changed.outline)).toBeGreaterThan(0);
  });

  it('the outline variant drops the background and shows the safe zone only', () => {
    const svg = outlineSvg(source);
    expect(svg).not.toContain('id="background"');
    expect(svg).toContain('viewBox="48 48 96 96"');
    expect(() => outlineSvg(source.replace('id="background"', 'id="bg"'))).toThrow('background');
  });

  it('npm run icons -- --out <dir> writes the same icons as the committed ones', async () => {
    const out = mkdtempSync(join(tmpdir(), 'portier-icons-'));
    try {
      await run('npm', ['run', '--silent', 'icons', '--', '--out', out], { cwd: ROOT });
      for (const name of ['color', 'outline'] as const) {
        const written = readFileSync(join(out, `${name}.png`));
        expect(maxDifference(decodePng(written), decodePng(committed[name]))).toBe(0);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
