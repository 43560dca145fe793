/**
 * A dependency-free SVG chart of cost–quality curves: quality (y) against the share of requests sent
 * to the strong model (x), one polyline per series, with the random-routing diagonal dashed.
 */
import type { CurvePoint } from './metrics.js';

export interface ChartSeries {
  name: string;
  points: readonly (Pick<CurvePoint, 'quality'> & { strongShare?: number; cost?: number })[];
  color: string;
  dashed?: boolean;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** `axis: 'cost'` plots quality against mean cost per request (µ$) instead of strong share. */
export function curveSvg(title: string, series: readonly ChartSeries[], width = 640, height = 420, axis: 'share' | 'cost' = 'share'): string {
  const m = { l: 60, r: 20, t: 40, b: 50 };
  const xMax = axis === 'cost' ? Math.max(1e-9, ...series.flatMap((s) => s.points.map((p) => p.cost ?? 0))) : 1;
  const xOf = (p: ChartSeries['points'][number]) => (axis === 'cost' ? (p.cost ?? 0) / xMax : p.strongShare ?? 0);
  const ys = series.flatMap((s) => s.points.map((p) => p.quality));
  const yMin = Math.floor(Math.min(...ys) * 50) / 50;
  const yMax = Math.ceil(Math.max(...ys) * 50) / 50;
  const x = (v: number) => m.l + v * (width - m.l - m.r);
  const y = (v: number) => height - m.b - ((v - yMin) / Math.max(1e-9, yMax - yMin)) * (height - m.t - m.b);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    `<line x1="${m.l}" y1="${height - m.b}" x2="${width - m.r}" y2="${height - m.b}" stroke="black"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${height - m.b}" stroke="black"/>`,
  ];
  for (let i = 0; i <= 10; i += 2) out.push(`<text x="${x(i / 10)}" y="${height - m.b + 16}" text-anchor="middle">${axis === 'cost' ? Math.round((xMax * i) / 10) : `${i * 10}%`}</text>`);
  for (let i = 0; i <= 4; i++) {
    const v = yMin + ((yMax - yMin) * i) / 4;
    out.push(`<text x="${m.l - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(3)}</text>`);
  }
  out.push(`<text x="${width / 2}" y="${height - 12}" text-anchor="middle">${axis === 'cost' ? 'mean cost per request (µ$)' : 'share of requests sent to the strong model'}</text>`);
  out.push(`<text x="16" y="${height / 2}" text-anchor="middle" transform="rotate(-90 16 ${height / 2})">quality</text>`);
  series.forEach((s, i) => {
    const pts = s.points.map((p) => `${x(xOf(p)).toFixed(1)},${y(p.quality).toFixed(1)}`).join(' ');
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${pts}"/>`);
    out.push(`<text x="${m.l + 10}" y="${m.t + 14 + i * 16}" fill="${s.color}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
