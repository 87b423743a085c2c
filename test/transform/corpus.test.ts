// Every corpus email (HTML files and the HTML/text parts of raw messages), in
// each category and consent combination, through transform() and through
// compile() + render(): the output is untracked or tracked exactly as decided,
// and outside the recorded edits it is the input byte for byte.
import { beforeAll, describe, expect, test } from 'vitest'
import { compile, transform, type TransformOptions, type TransformResult } from '../../src/transform.js'
import type { Category, ConsentRecord } from '../../src/policy/types.js'
import {
  BASE,
  CONSENTS,
  NOW,
  TRACKED_EDITS,
  UNTRACKED_EDITS,
  count,
  expectLinksWrapped,
  expectMinimalDiff,
  expectNoTrackers,
  normalizeTokens,
  record,
  renderedOf,
  tokens,
} from './helpers.js'
import { loadCorpus, type CorpusEmail } from './corpus.js'

let corpus: CorpusEmail[] = []
beforeAll(async () => {
  corpus = await loadCorpus()
})

interface Case {
  label: string
  consent: ConsentRecord | null
  category: Category
  tracker: 'self' | 'provider'
}

// A consent request may be sent again: the refusal is older than the 6-month wait.
const refusedLongAgo: ConsentRecord = {
  ...record('denied', 'unknown', 'c_77'),
  opens: { status: 'denied', at: new Date('2026-01-10T00:00:00Z') },
  collectedAt: new Date('2025-11-01T00:00:00Z'),
}

const CASES: Case[] = [
  ...Object.entries(CONSENTS).map(([label, consent]) => ({ label: `marketing/${label}`, consent, category: 'marketing' as const, tracker: 'self' as const })),
  { label: 'marketing/both/provider', consent: CONSENTS.both, category: 'marketing', tracker: 'provider' },
  { label: 'marketing/denied/provider', consent: CONSENTS.denied, category: 'marketing', tracker: 'provider' },
  { label: 'consent-request/refused-long-ago', consent: refusedLongAgo, category: 'consent-request', tracker: 'self' },
  { label: 'consent-request/unknown', consent: null, category: 'consent-request', tracker: 'self' },
  { label: 'consent-request/granted', consent: CONSENTS.both, category: 'consent-request', tracker: 'self' },
  { label: 'transactional/both', consent: CONSENTS.both, category: 'transactional', tracker: 'self' },
  { label: 'transactional/unknown', consent: null, category: 'transactional', tracker: 'self' },
]

const options = (tracker: 'self' | 'provider'): TransformOptions => ({ tokens, baseUrl: BASE, now: NOW, linkScope: 'scope-corpus', tracker })

async function checkResult(email: CorpusEmail, c: Case, r: TransformResult): Promise<void> {
  const rendered = renderedOf(r)
  const html = email.html ?? ''
  if (c.category === 'transactional') {
    expect(r.decision.basis).toBe('exempt')
    expect(r.html).toBe(email.html)
    expect(r.text).toBe(email.text)
    expect(r.headers).toEqual({})
    expect(r.removed).toEqual([])
    return
  }
  const tracked = r.decision.send && (r.decision.opens || r.decision.clicks)
  expect(r.decision.reasons.filter((x) => x.startsWith('error:')), 'no fallback on the corpus').toEqual([])
  if (email.html !== undefined) {
    expect(r.html).toBeDefined()
    expectMinimalDiff(html, r.html!, rendered.html, tracked ? TRACKED_EDITS : [...UNTRACKED_EDITS, 'line-insert'])
  }
  if (email.text !== undefined) expectMinimalDiff(email.text, r.text!, rendered.text, tracked ? TRACKED_EDITS : [...UNTRACKED_EDITS, 'text-append'])
  // ESP tracking is off unless the provider tracks with consent.
  const espOn = c.tracker === 'provider' && tracked
  expect(r.headers['X-PM-TrackOpens']).toBe(espOn && r.decision.opens ? 'true' : 'false')
  expect(r.headers['X-Mailjet-TrackClick']).toBe(espOn && r.decision.clicks ? '1' : '0')

  if (!tracked || c.tracker === 'provider') {
    if (r.html !== undefined) expectNoTrackers(r.html)
    expect(r.links.pixel).toBeUndefined()
  }
  if (tracked) {
    // The withdrawal link is always there and verifies for its purpose only.
    expect(r.links.withdraw).toBeDefined()
    const withdrawToken = r.links.withdraw!.slice(`${BASE}/w/`.length)
    const claims = await tokens.verify(withdrawToken, { purpose: 'withdraw' })
    expect(claims.contactId).toBe(c.consent!.contactId)
    expect(r.html).toContain(r.links.withdraw)
    if (email.text !== undefined) expect(r.text).toContain(r.links.withdraw)
    if (c.tracker === 'self') {
      expect(count(r.html!, `${BASE}/o/`)).toBe(r.decision.opens ? 1 : 0)
      if (r.decision.opens) {
        expect(r.links.pixel).toBeDefined()
        await tokens.verify(r.links.pixel!.slice(`${BASE}/o/`.length), { purpose: 'open' })
      }
      if (r.decision.clicks) {
        expectLinksWrapped(r.html!, r.warnings)
        const click = /https:\/\/t\.example\.com\/mail\/c\/([^?"]+)\?u=([^&]+)&amp;h=([\w-]+)/.exec(r.html!)
        if (click) {
          const clickClaims = await tokens.verify(click[1]!, { purpose: 'click' })
          expect(tokens.isBoundTarget(clickClaims, decodeURIComponent(click[2]!), click[3]!)).toBe(true)
        }
      } else expect(r.html).not.toContain(`${BASE}/c/`)
    } else expect(r.html).not.toContain(`${BASE}/o/`)
  }
  if (c.category === 'consent-request') {
    expect(r.html).not.toContain(`${BASE}/o/`)
    expect(r.html).not.toContain(`${BASE}/c/`)
    if (r.decision.send && c.consent) {
      expect(r.links.consent).toBeDefined()
      await tokens.verify(r.links.consent!.slice(`${BASE}/consent/`.length), { purpose: 'consent' })
      expect(r.html).toContain(r.links.consent)
    } else expect(r.links.consent).toBeUndefined()
  }
}

describe('corpus', () => {
  test('has every file of INDEX.tsv', async () => {
    const { readFileSync } = await import('node:fs')
    const index = readFileSync(new URL('../fixtures/corpus/INDEX.tsv', import.meta.url), 'utf8')
    const names = index.trim().split('\n').slice(1).map((l) => l.split('\t')[0])
    expect(corpus.map((e) => e.name).sort()).toEqual(names.sort())
  })

  test('every file × category × consent: decided output, minimal diff, render === transform', async () => {
    for (const email of corpus) {
      const input = { ...(email.html !== undefined ? { html: email.html } : {}), ...(email.text !== undefined ? { text: email.text } : {}) }
      const compiled = { self: compile(input, options('self')), provider: compile(input, options('provider')) }
      for (const c of CASES) {
        const messageId = `m_${c.label.replace(/\W/g, '_')}`
        const single = await transform(input, c.consent, c.category, { ...options(c.tracker), messageId })
        try {
          await checkResult(email, c, single)
        } catch (err) {
          throw new Error(`${email.name} ${c.label}: ${(err as Error).message}`, { cause: err })
        }
        const rendered = await compiled[c.tracker].render(c.consent, c.category, { messageId, now: NOW })
        expect(normalizeTokens(rendered), `${email.name} ${c.label}: render === transform`).toEqual(normalizeTokens(single))
      }
    }
  }, 600_000)

  test('known trackers of the real campaigns are removed when untracked, with reasons', async () => {
    const byName = new Map(corpus.map((e) => [e.name, e]))
    const expectations: [string, string[]][] = [
      ['SpamScope__mail-parser/mail_test_13', ['known-pixel:mailchimp', 'param:mailchimp:e']],
      ['SpamScope__mail-parser/mail_test_5', ['known-pixel:rapidmail']],
      ['SpamScope__mail-parser/mail_test_6', ['personal-image', 'redirect:statredirect']],
      ['php-mime-mail-parser__php-mime-mail-parser/m0015', ['known-pixel:keap']],
    ]
    for (const [name, reasons] of expectations) {
      const email = byName.get(name)!
      const r = await transform({ html: email.html! }, CONSENTS.denied, 'marketing', options('self'))
      const seen = new Set(r.removed.map((x) => x.reason))
      for (const reason of reasons) expect([...seen], name).toContain(reason)
      // Each removal names a URL that was really in the input.
      for (const x of r.removed) expect(email.html).toContain(new URL(x.url).host)
    }
    // Opaque click redirects are kept (never followed) and reported.
    const keap = await transform({ html: byName.get('php-mime-mail-parser__php-mime-mail-parser/m0015')!.html! }, CONSENTS.denied, 'marketing', options('self'))
    expect(keap.warnings).toContain('opaque-redirect:keap')
  })

  test('the sendwithus receipt keeps its 1×1 spacer images', async () => {
    const email = corpus.find((e) => e.name.endsWith('mantra__receipt.html'))!
    const spacers = count(email.html!, 'spacer.gif')
    expect(spacers).toBeGreaterThan(2)
    for (const consent of [CONSENTS.denied, CONSENTS.both]) {
      const r = await transform(email.html!, consent, 'marketing', options('self'))
      expect(count(r.html!, 'spacer.gif')).toBe(spacers)
      expect(r.removed.filter((x) => x.kind === 'pixel')).toEqual([])
    }
  })
})
