// Line charts as inline SVG strings: no script, no network, readable in any browser and in the report file itself. Pure.

export interface Series {
  name: string;
  points: [number, number][];
}

const COLORS = ['#2563eb', '#16a34a', '#dc2626', '#9333ea', '#ea580c', '#0891b2', '#4b5563', '#ca8a04'];
const W = 760;
const H = 260;
const PAD = { left: 64, right: 16, bottom: 36 };
const LEGEND_COLS = 4;

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** 1, 2, 5 x 10^n steps giving about `target` ticks. */
export function niceTicks(max: number, target = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < max) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

const fmt = (v: number) => (v >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : v >= 1e4 ? `${(v / 1e3).toFixed(0)}k` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : String(Math.round(v * 100) / 100));

export function lineChart(o: { id: string; title: string; yLabel: string; xLabel?: string; series: Series[] }): string {
  const all = o.series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map((p) => p[0]));
  const yTicks = niceTicks(Math.max(0, ...all.map((p) => p[1])));
  const yMax = yTicks[yTicks.length - 1]!;
  const xTicks = niceTicks(xMax, 8);
  const xEnd = xTicks[xTicks.length - 1]!;
  const top = 32 + Math.ceil(Math.max(1, o.series.length) / LEGEND_COLS) * 14; // room for the legend rows
  const iw = W - PAD.left - PAD.right;
  const ih = H - top - PAD.bottom;
  const X = (x: number) => PAD.left + (x / xEnd) * iw;
  const Y = (y: number) => top + ih - (y / yMax) * ih;
  const parts: string[] = [
    `<svg id="${escapeHtml(o.id)}" class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeHtml(o.title)}">`,
    `<text x="${PAD.left}" y="16" class="title">${escapeHtml(o.title)}</text>`,
  ];
  for (const t of yTicks) {
    parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${Y(t).toFixed(1)}" y2="${Y(t).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${PAD.left - 6}" y="${(Y(t) + 4).toFixed(1)}" text-anchor="end" class="tick">${fmt(t)}</text>`);
  }
  for (const t of xTicks) parts.push(`<text x="${X(t).toFixed(1)}" y="${H - PAD.bottom + 16}" text-anchor="middle" class="tick">${fmt(t)}</text>`);
  parts.push(`<text x="${W - PAD.right}" y="${H - 4}" text-anchor="end" class="axis">${escapeHtml(o.xLabel ?? 'seconds')}</text>`);
  parts.push(`<text x="12" y="${top + ih / 2}" transform="rotate(-90 12 ${top + ih / 2})" text-anchor="middle" class="axis">${escapeHtml(o.yLabel)}</text>`);
  o.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    if (s.points.length) {
      const d = s.points.map((p, k) => `${k ? 'L' : 'M'}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join('');
      parts.push(`<path class="series" data-series="${escapeHtml(s.name)}" d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    }
    const lx = PAD.left + 8 + (i % LEGEND_COLS) * 170;
    const ly = 24 + Math.floor(i / LEGEND_COLS) * 14;
    parts.push(`<rect x="${lx}" y="${ly}" width="10" height="10" fill="${color}"/><text x="${lx + 14}" y="${ly + 9}" class="legend">${escapeHtml(s.name.slice(0, 26))}</text>`);
  });
  if (!all.length) parts.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="empty">no data</text>`);
  parts.push('</svg>');
  return parts.join('');
}
