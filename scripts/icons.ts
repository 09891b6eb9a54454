/**
 * `npm run icons [-- --out <dir>]`: renders the Teams app icons from `appPackage/icon.svg`.
 *
 * - `color.png`, 192×192: the whole source canvas (background in the accent colour, the mark in white).
 * - `outline.png`, 32×32: the same mark without its background, cut to the 96×96 safe zone in the middle
 *   of the canvas (where the mark lies) and recoloured so that every pixel is white with some alpha or fully transparent (what Teams requires).
 *
 * The output depends on nothing but the SVG (no system fonts, no timestamps), so running it again yields the same
 * pixels; `tests/appPackage/icons.test.ts` checks that the committed PNGs equal a fresh render.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { PNG } from 'pngjs';

export const APP_PACKAGE_DIR = resolve(__dirname, '..', 'appPackage');
export const ICON_SOURCE = join(APP_PACKAGE_DIR, 'icon.svg');

export const COLOR_SIZE = 192;
export const OUTLINE_SIZE = 32;
/** The part of the 192×192 source the outline icon shows: the 96×96 safe zone in the middle, where the mark lies. */
export const OUTLINE_VIEWBOX = '48 48 96 96';

export interface Bitmap {
  width: number;
  height: number;
  /** RGBA, 4 bytes a pixel, not premultiplied. */
  data: Buffer;
}

export interface RenderedIcons {
  color: Bitmap;
  outline: Bitmap;
}

function rasterize(svg: string, size: number): Bitmap {
  const image = new Resvg(svg, {
    fitTo: { mode: 'width', value: size },
    font: { loadSystemFonts: false },
  }).render();
  if (image.width !== size || image.height !== size) {
    throw new Error(`icon.svg must be square: rendered ${image.width}×${image.height} for ${size}`);
  }
  return { width: image.width, height: image.height, data: Buffer.from(image.pixels) };
}

/** The outline variant of the source: background element removed, view box cut to the safe zone. */
export function outlineSvg(source: string): string {
  const background = /<rect\b[^>]*\bid="background"[^>]*\/>/g;
  const backgrounds = source.match(background) ?? [];
  if (backgrounds.length !== 1) {
    throw new Error('icon.svg must have exactly one <rect id="background" …/> (the outline icon leaves it out)');
  }
  const viewBox = /(<svg\b[^>]*\bviewBox=")0 0 192 192(")/;
  if (!viewBox.test(source)) throw new Error('icon.svg must have viewBox="0 0 192 192"');
  return source.replace(background, '').replace(viewBox, `$1${OUTLINE_VIEWBOX}$2`);
}

/** White with the rendered alpha where anything is drawn, fully transparent (all zero) elsewhere. */
export function whiteOnTransparent(bitmap: Bitmap): Bitmap {
  const data = Buffer.alloc(bitmap.data.length);
  for (let i = 0; i < data.length; i += 4) {
    const alpha = bitmap.data[i + 3];
    if (alpha === 0) continue;
    data[i] = 255;
    data[i + 1] = 255;
    data[i + 2] = 255;
    data[i + 3] = alpha;
  }
  return { width: bitmap.width, height: bitmap.height, data };
}

export function renderIcons(source: string): RenderedIcons {
  return {
    color: rasterize(source, COLOR_SIZE),
    outline: whiteOnTransparent(rasterize(outlineSvg(source), OUTLINE_SIZE)),
  };
}

export function encodePng(bitmap: Bitmap): Buffer {
  const png = new PNG({ width: bitmap.width, height: bitmap.height, colorType: 6, inputColorType: 6 });
  bitmap.data.copy(png.data);
  return PNG.sync.write(png, { colorType: 6, inputColorType: 6 });
}

export function decodePng(file: Buffer): Bitmap {
  const png = PNG.sync.read(file);
  return { width: png.width, height: png.height, data: png.data };
}

export function writeIcons(outDir: string = APP_PACKAGE_DIR, source: string = readFileSync(ICON_SOURCE, 'utf8')): string[] {
  const icons = renderIcons(source);
  mkdirSync(outDir, { recursive: true });
  const written = [join(outDir, 'color.png'), join(outDir, 'outline.png')];
  writeFileSync(written[0], encodePng(icons.color));
  writeFileSync(written[1], encodePng(icons.outline));
  return written;
}

function main(argv: string[]): void {
  let outDir = APP_PACKAGE_DIR;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1]) outDir = resolve(argv[++i]);
    else throw new Error(`unknown argument: ${argv[i]} (usage: npm run icons [-- --out <dir>])`);
  }
  for (const file of writeIcons(outDir)) console.log(`wrote ${file}`);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
