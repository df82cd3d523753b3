// Inline SVG icons (no icon font, nothing remote). Presentation attributes only, so no inline style is needed.
const SVG_NS = 'http://www.w3.org/2000/svg';

const PATHS = {
  copy: ['M5.5 5.5h7v8h-7z', 'M3.5 10.5h-1v-8h7v1'],
} as const;

export function icon(doc: Document, name: keyof typeof PATHS): SVGSVGElement {
  const svg = doc.createElementNS(SVG_NS, 'svg');
  for (const [k, v] of Object.entries({ viewBox: '0 0 16 16', width: '14', height: '14', fill: 'none', stroke: 'currentColor', 'stroke-width': '1.2', 'aria-hidden': 'true', class: 'icon' })) svg.setAttribute(k, v);
  for (const d of PATHS[name]) {
    const path = doc.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}
