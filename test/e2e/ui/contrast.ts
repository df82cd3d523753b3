import type { Frame } from 'playwright-core';

// WCAG contrast of what a webview shows, read from the page's computed styles: the text colour of an element against
// the backgrounds it sits on (its own and its ancestors', composited from the page's down, since theme colours such
// as diff or selection backgrounds are often translucent).

export interface ContrastCheck {
  /** What the check is about, in the failure message. */
  name: string;
  selector: string;
  /** 4.5 for body text, 3 for icons and large text (WCAG 2.x AA). */
  min: number;
}

export interface ContrastResult extends ContrastCheck {
  ratio: number;
  color: string;
  background: string;
}

type Rgba = [number, number, number, number];

export function parseColor(css: string): Rgba {
  const m = /^rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)$/.exec(css.trim());
  if (!m) throw new Error(`not a computed colour: ${css}`);
  const alpha = m[4] === undefined ? 1 : m[4].endsWith('%') ? Number(m[4].slice(0, -1)) / 100 : Number(m[4]);
  return [Number(m[1]), Number(m[2]), Number(m[3]), alpha];
}

/** `top` painted over the opaque `bottom`. */
function over(top: Rgba, bottom: Rgba): Rgba {
  const a = top[3];
  return [top[0] * a + bottom[0] * (1 - a), top[1] * a + bottom[1] * (1 - a), top[2] * a + bottom[2] * (1 - a), 1];
}

function luminance([r, g, b]: Rgba): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrastRatio(a: Rgba, b: Rgba): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * The contrast of `color` (with its opacity) over `backgrounds`, innermost first; what no background covers is
 * `base` (the page's own canvas colour).
 */
export function effectiveContrast(color: string, backgrounds: readonly string[], base: string): { ratio: number; background: Rgba } {
  let bg = parseColor(base);
  bg = [bg[0], bg[1], bg[2], 1];
  for (const layer of [...backgrounds].reverse()) bg = over(parseColor(layer), bg);
  return { ratio: contrastRatio(over(parseColor(color), bg), bg), background: bg };
}

interface Sample {
  color: string;
  opacity: number;
  backgrounds: string[];
}

/** Measures each check's first visible match in `frame`; a selector with no visible match fails. */
export async function measureContrast(frame: Frame, checks: readonly ContrastCheck[]): Promise<ContrastResult[]> {
  const results: ContrastResult[] = [];
  for (const check of checks) {
    const sample = await frame.locator(check.selector).first().evaluate((el): Sample => {
      const view = el.ownerDocument.defaultView!;
      const backgrounds: string[] = [];
      let opacity = 1;
      for (let n: Element | null = el; n; n = n.parentElement) {
        const style = view.getComputedStyle(n);
        backgrounds.push(style.backgroundColor);
        opacity *= Number(style.opacity);
      }
      return { color: view.getComputedStyle(el).color, opacity, backgrounds };
    }, undefined, { timeout: 10_000 });
    // The webview's canvas under <html>: VS Code paints it with the editor background.
    const base = await frame.evaluate(() => {
      const probe = document.createElement('div');
      probe.style.color = 'var(--vscode-editor-background)';
      document.body.append(probe);
      const c = getComputedStyle(probe).color;
      probe.remove();
      return c;
    });
    const [r, g, b, a] = parseColor(sample.color);
    const color = `rgba(${r}, ${g}, ${b}, ${a * sample.opacity})`;
    const { ratio, background } = effectiveContrast(color, sample.backgrounds, base);
    results.push({ ...check, ratio, color, background: `rgb(${background.slice(0, 3).map(Math.round).join(', ')})` });
  }
  return results;
}

/** The checks below their minimum, worded for an assertion message. */
export function contrastFailures(results: readonly ContrastResult[]): string[] {
  return results.filter((r) => r.ratio < r.min).map((r) => `${r.name} (${r.selector}): ${r.ratio.toFixed(2)}:1 < ${r.min}:1 (${r.color} on ${r.background})`);
}
