import type { ConsentEventType } from '../../store/types.js'
import { escapeHtml } from '../../consent-form/escape.js'
import { EVENT_TYPES, type TypeCounts } from './collect.js'

/** Colour of each event type in the charts (distinguishable with common colour blindness, with a legend and titles too). */
export const TYPE_COLORS: Readonly<Record<ConsentEventType, string>> = {
  collect: '#64748b',
  inform: '#0284c7',
  grant: '#15803d',
  deny: '#d97706',
  withdraw: '#dc2626',
  request: '#7c3aed',
  unsubscribe: '#78350f',
  resubscribe: '#0d9488',
}

/** A round axis maximum and step: 1, 2 or 5 times a power of ten. */
function niceScale(max: number): { top: number; step: number } {
  if (max <= 0) return { top: 1, step: 1 }
  const rough = max / 4
  const power = 10 ** Math.floor(Math.log10(rough))
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power
  return { top: Math.ceil(max / step) * step, step: Math.max(step, 1) }
}

/** Events per month as an inline SVG stacked bar chart: no script, no external resource. */
export function eventsChart(months: { month: string; counts: TypeCounts }[]): string {
  const width = 760
  const height = 300
  const left = 48
  const right = 12
  const top = 16
  const bottom = 48
  const plotW = width - left - right
  const plotH = height - top - bottom
  const totals = months.map((m) => EVENT_TYPES.reduce((sum, t) => sum + m.counts[t], 0))
  const { top: yMax, step } = niceScale(Math.max(0, ...totals))
  const slot = plotW / Math.max(months.length, 1)
  const barW = Math.max(Math.min(slot * 0.7, 48), 1)
  const y = (v: number) => top + plotH - (v / yMax) * plotH
  const parts: string[] = []
  for (let v = 0; v <= yMax; v += step) {
    parts.push(`<line class="grid" x1="${left}" x2="${width - right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/>`)
    parts.push(`<text class="tick" x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v}</text>`)
  }
  const labelEvery = Math.ceil(months.length / 12)
  months.forEach((m, i) => {
    const x = left + i * slot + (slot - barW) / 2
    let base = 0
    for (const type of EVENT_TYPES) {
      const n = m.counts[type]
      if (n === 0) continue
      const y0 = y(base + n)
      const h = y(base) - y0
      parts.push(
        `<rect class="bar" data-type="${type}" x="${x.toFixed(1)}" y="${y0.toFixed(1)}" width="${barW.toFixed(1)}" height="${Math.max(h, 0.5).toFixed(1)}" fill="${TYPE_COLORS[type]}"><title>${escapeHtml(`${m.month}: ${n} ${type}`)}</title></rect>`,
      )
      base += n
    }
    if (i % labelEvery === 0)
      parts.push(`<text class="tick" x="${(left + i * slot + slot / 2).toFixed(1)}" y="${height - bottom + 16}" text-anchor="middle">${escapeHtml(m.month)}</text>`)
  })
  parts.push(`<line class="axis" x1="${left}" x2="${width - right}" y1="${top + plotH}" y2="${top + plotH}"/>`)
  const present = EVENT_TYPES.filter((t) => months.some((m) => m.counts[t] > 0))
  present.forEach((type, i) => {
    const x = left + i * 88
    parts.push(`<rect x="${x}" y="${height - 18}" width="10" height="10" fill="${TYPE_COLORS[type]}"/>`)
    parts.push(`<text class="legend" x="${x + 14}" y="${height - 9}">${type}</text>`)
  })
  const summary = `Consent events per month, ${months[0]?.month ?? ''} to ${months.at(-1)?.month ?? ''}, stacked by type`
  return (
    `<svg id="events-chart" role="img" aria-labelledby="events-chart-title" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="events-chart-title">${escapeHtml(summary)}</title>${parts.join('')}</svg>`
  )
}

/** One horizontal stacked bar of shares (e.g. a purpose's consent states). */
export function shareBar(label: string, shares: { name: string; value: number; color: string }[]): string {
  const total = shares.reduce((s, x) => s + x.value, 0)
  const width = 420
  let x = 0
  const rects = shares
    .filter((s) => s.value > 0)
    .map((s) => {
      const w = (s.value / total) * width
      const rect = `<rect x="${x.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="18" fill="${s.color}"><title>${escapeHtml(`${s.name}: ${s.value}`)}</title></rect>`
      x += w
      return rect
    })
  return `<svg class="share" role="img" aria-label="${escapeHtml(label)}" viewBox="0 0 ${width} 18" width="${width}" height="18" xmlns="http://www.w3.org/2000/svg">${rects.join('') || `<rect width="${width}" height="18" fill="#e5e7eb"/>`}</svg>`
}
