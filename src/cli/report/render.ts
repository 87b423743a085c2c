import { escapeHtml } from '../../consent-form/escape.js'
import type { ConsentStatus, Purpose } from '../../policy/types.js'
import { BREAK_REASONS } from '../commands/verify.js'
import { counted } from '../io.js'
import { EVENT_TYPES, type AuditData } from './collect.js'
import { eventsChart, shareBar, TYPE_COLORS } from './chart.js'

const STATUS_COLORS: Record<ConsentStatus, string> = { granted: '#15803d', denied: '#d97706', withdrawn: '#dc2626', unknown: '#94a3b8' }
const STATUSES: ConsentStatus[] = ['granted', 'denied', 'withdrawn', 'unknown']
const BASIS_TEXT: Record<string, string> = {
  consent: 'consent (opt-in)',
  'legacy-no-objection': 'legacy contact, informed, did not object',
  exempt: 'exempt',
  none: 'no basis: sent untracked',
}

const e = (value: unknown) => escapeHtml(String(value))
const n = (value: number) => value.toLocaleString('en-US')
const day = (d: Date | undefined) => (d ? d.toISOString().slice(0, 10) : '—')
const pct = (part: number, total: number) => (total === 0 ? '0%' : `${Math.round((part / total) * 1000) / 10}%`)

function table(caption: string, head: string[], rows: (string | number)[][], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${e(empty)}</p>`
  return (
    `<table><caption>${e(caption)}</caption><thead><tr>${head.map((h) => `<th scope="col">${e(h)}</th>`).join('')}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${e(c)}</th>` : `<td>${typeof c === 'number' ? n(c) : e(c)}</td>`)).join('')}</tr>`).join('') +
    `</tbody></table>`
  )
}

const STYLE = `
:root{color-scheme:light;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#0f172a;background:#f8fafc}
body{margin:0 auto;max-width:980px;padding:24px}
h1{font-size:1.6rem;margin:0 0 4px}h2{font-size:1.15rem;margin:32px 0 8px;border-bottom:1px solid #cbd5e1;padding-bottom:4px}
.meta{color:#475569;margin:0 0 16px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:12px 16px;min-width:150px}
.card b{display:block;font-size:1.5rem}
.ok{color:#15803d}.broken{color:#b91c1c}
.card.ok{border-color:#15803d}.card.broken{border-color:#b91c1c;background:#fef2f2}
table{border-collapse:collapse;background:#fff;margin:8px 0;min-width:50%}
caption{text-align:left;font-weight:600;padding:4px 0}
th,td{border:1px solid #e2e8f0;padding:4px 10px;text-align:right}
th[scope=row],thead th:first-child{text-align:left}
thead th{background:#f1f5f9}
svg text{font-size:11px;fill:#334155}
svg .grid{stroke:#e2e8f0}svg .axis{stroke:#64748b}
figure{background:#fff;border:1px solid #e2e8f0;border-radius:8px;margin:8px 0;padding:12px;overflow-x:auto}
.share-row{display:flex;align-items:center;gap:12px;margin:6px 0}.share-row span{width:60px}
.swatch{display:inline-block;width:10px;height:10px;margin-right:4px}
code{background:#f1f5f9;padding:1px 4px;border-radius:4px;word-break:break-all}
.empty{color:#475569;font-style:italic}
footer{margin-top:40px;color:#475569;font-size:.9rem}
`

/** The self-contained audit report: one HTML file, inline CSS and SVG, no script, nothing fetched. */
export function renderAuditReport(data: AuditData): string {
  const chain = data.chain
  const chainText = chain.ok
    ? `Intact: ${counted(chain.checked, 'event')} verified${chain.head && chain.head.seq > 0 ? `, chain head seq ${chain.head.seq}` : ''}.`
    : `Broken at seq ${chain.firstBadSeq} (${chain.reason}: ${BREAK_REASONS[chain.reason ?? ''] ?? 'unknown reason'}); ${counted(chain.checked, 'event')} before it verified.`
  const withdrawalsTotal = data.withdrawals.reduce((s, w) => s + w.events, 0)
  const contactsWithState = STATUSES.reduce((s, st) => s + data.states.opens[st], 0)

  const purposeRows = (['opens', 'clicks'] as Purpose[]).map((p) => [p, ...STATUSES.map((s) => `${n(data.states[p][s])} (${pct(data.states[p][s], contactsWithState)})`)])
  const shareBars = (['opens', 'clicks'] as Purpose[])
    .map(
      (p) =>
        `<div class="share-row"><span>${p}</span>${shareBar(
          `${p}: ${STATUSES.map((s) => `${data.states[p][s]} ${s}`).join(', ')}`,
          STATUSES.map((s) => ({ name: s, value: data.states[p][s], color: STATUS_COLORS[s] })),
        )}</div>`,
    )
    .join('')
  const legend = STATUSES.map((s) => `<span><i class="swatch" style="background:${STATUS_COLORS[s]}"></i>${s}</span>`).join(' ')

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Consent audit report, ${e(day(data.generatedAt))}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>Email tracking consent: audit report</h1>
<p class="meta">Generated ${e(data.generatedAt.toISOString())} from <code>${e(data.store)}</code> under policy <code>${e(data.policy)}</code>.
Events dated ${e(day(data.firstAt))} to ${e(day(data.lastAt))}; recorded ${e(day(data.firstRecordedAt))} to ${e(day(data.lastRecordedAt))}.</p>
</header>
<main>
<section aria-labelledby="summary"><h2 id="summary">Summary</h2>
<div class="cards">
<div class="card"><span>Contacts</span><b>${n(data.contacts)}</b></div>
<div class="card"><span>Consent events</span><b>${n(data.events)}</b></div>
<div class="card"><span>Tracking withdrawals</span><b>${n(withdrawalsTotal)}</b></div>
<div class="card ${chain.ok ? 'ok' : 'broken'}" id="chain-card"><span>Hash chain</span><b class="${chain.ok ? 'ok' : 'broken'}">${chain.ok ? 'intact' : 'BROKEN'}</b></div>
</div>
</section>

<section aria-labelledby="chain"><h2 id="chain">Chain verification</h2>
<p id="chain-result" class="${chain.ok ? 'ok' : 'broken'}">${e(chainText)}</p>
${chain.head ? `<p>Chain head recorded by the store: seq ${e(chain.head.seq)}, hash <code>${e(chain.head.hash)}</code>. Keep this hash outside the database; a later verification that no longer passes through it proves a rewrite.</p>` : ''}
${data.readError ? `<p class="broken">The log could not be read to the end (${e(data.readError)}); the figures below cover the events before that point.</p>` : ''}
</section>

<section aria-labelledby="states"><h2 id="states">Consent states per purpose</h2>
<p>Current state of each contact, as folded from its events.</p>
${shareBars}<p>${legend}</p>
${table('Contacts per purpose and state', ['purpose', ...STATUSES], purposeRows, 'No contacts.')}
${table(
  `What a marketing email sent on ${day(data.generatedAt)} would carry`,
  ['basis', 'contacts', 'with open pixel', 'with click tracking'],
  data.decisions.map((d) => [BASIS_TEXT[d.basis] ?? d.basis, d.contacts, d.opens, d.clicks]),
  'No contacts.',
)}
<p>Subscribed: ${n(data.subscribed.subscribed)}; unsubscribed: ${n(data.subscribed.unsubscribed)}. Refusing or withdrawing tracking never unsubscribes.</p>
</section>

<section aria-labelledby="timeline"><h2 id="timeline">Events over time</h2>
${data.months.length ? `<figure>${eventsChart(data.months)}<figcaption>Consent events per month (by the date they happened), stacked by type.</figcaption></figure>` : '<p class="empty">No events.</p>'}
<details><summary>Table of events per month</summary>
${table('Events per month', ['month', ...EVENT_TYPES], data.months.map((m) => [m.month, ...EVENT_TYPES.map((t) => m.counts[t])]), 'No events.')}
</details>
</section>

<section aria-labelledby="sources"><h2 id="sources">Sources and notice versions</h2>
${table('Events per source', ['source', 'events', 'contacts'], data.sources.map((s) => [s.source, s.events, s.contacts]), 'No events.')}
${table(
  'Information notice versions in use',
  ['notice version', 'events', 'contacts', 'first seen', 'last seen'],
  data.notices.map((v) => [v.version, v.events, v.contacts, day(v.first), day(v.last)]),
  'No event names a notice version.',
)}
</section>

<section aria-labelledby="withdrawals"><h2 id="withdrawals">Withdrawals by channel</h2>
${table(
  'Tracking withdrawals per channel',
  ['channel', 'withdrawals', 'of opens', 'of clicks'],
  data.withdrawals.map((w) => [w.source, w.events, w.opens, w.clicks]),
  'No tracking withdrawal recorded.',
)}
${table('Unsubscriptions per channel', ['channel', 'unsubscriptions'], data.unsubscribes.map((u) => [u.source, u.events]), 'No unsubscription recorded.')}
</section>
</main>
<footer>
<p>Colours: ${EVENT_TYPES.map((t) => `<span><i class="swatch" style="background:${TYPE_COLORS[t]}"></i>${t}</span>`).join(' ')}</p>
<p>Reproduce: <code>email-tracking-consent verify --store …</code> checks the chain; <code>email-tracking-consent export --store … --format jsonl</code> gives every event with its evidence and hashes.</p>
</footer>
</body>
</html>
`
}
