// A dependency-free horizontal bar chart as SVG, for the benchmark report (bench/results/*.svg).

export interface Bar {
  label: string;
  value: number;
  /** Optional text after the bar (e.g. a ratio); defaults to the value. */
  note?: string;
}

const escapeXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function barChart(title: string, unit: string, bars: Bar[]): string {
  const labelWidth = 190;
  const barArea = 380;
  const rowHeight = 28;
  const top = 44;
  const width = labelWidth + barArea + 150;
  const height = top + bars.length * rowHeight + 16;
  const max = Math.max(...bars.map((b) => b.value), 1e-9);
  const rows = bars.map((b, i) => {
    const y = top + i * rowHeight;
    const w = Math.max(1, (b.value / max) * barArea);
    const note = b.note ?? `${b.value.toFixed(1)} ${unit}`;
    return [
      `<text x="${labelWidth - 8}" y="${y + 17}" text-anchor="end">${escapeXml(b.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowHeight - 10}" rx="3" fill="${i === 0 ? "#9aa5b1" : "#3b82f6"}"/>`,
      `<text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + 17}">${escapeXml(note)}</text>`,
    ].join("");
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="12" y="24" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    ...rows,
    "</svg>",
  ].join("\n");
}
