// A small horizontal bar chart as standalone SVG (no dependencies): one bar per labelled value.
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

export function barChart({ title, unit, bars, max }) {
  const rowH = 22, left = 330, width = 820, top = 40;
  const top1 = max ?? Math.max(1e-9, ...bars.map((b) => b.value));
  const height = top + bars.length * rowH + 30;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    const w = Math.max(1, ((width - left - 90) * b.value) / top1);
    parts.push(`<text x="${left - 8}" y="${y + 14}" text-anchor="end">${esc(b.label)}</text>`);
    parts.push(`<rect x="${left}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${b.color ?? '#3b6ea8'}"/>`);
    parts.push(`<text x="${(left + w + 6).toFixed(1)}" y="${y + 14}">${esc(b.text ?? `${b.value.toFixed(2)} ${unit}`)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
