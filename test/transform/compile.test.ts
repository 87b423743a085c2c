// compile() parses once; render() never parses and signs exactly once per
// recipient-message. The parser is spied on (the real one still runs).
import { beforeEach, describe, expect, test, vi } from 'vitest'
import type { Tokens } from '../../src/tokens/types.js'
import { compile } from '../../src/transform.js'
import { BASE, CONSENTS, NOW, count, tokens } from './helpers.js'

const parses = vi.hoisted(() => ({ n: 0 }))
vi.mock('hast-util-from-html', async (importOriginal) => {
  const real = await importOriginal<typeof import('hast-util-from-html')>()
  return { ...real, fromHtml: (...args: Parameters<typeof real.fromHtml>) => (parses.n++, real.fromHtml(...args)) }
})

let signs = 0
const countingTokens: Tokens = {
  ...tokens,
  signMessage: (input) => {
    signs++
    return tokens.signMessage(input)
  },
}

const html =
  '<!DOCTYPE html><html><body><div style="display:none">Pre</div><p><a href="https://example.com/a">a</a> <a href="https://example.com/b?mc_eid=1">b</a></p>' +
  '<!--[if mso]><v:roundrect href="https://example.com/a"></v:roundrect><![endif]--><p><a data-tracking="preferences" href="#">prefs</a></p></body></html>'

describe('compile + render', () => {
  beforeEach(() => {
    parses.n = 0
    signs = 0
  })

  test('render() does no HTML parsing and signs once per recipient, whatever the decision', async () => {
    const campaign = compile({ html, text: 'Hi', amp: '<html ⚡4email><body><p>x</p></body></html>' }, { tokens: countingTokens, baseUrl: BASE, now: NOW, unsubscribe: true })
    expect(parses.n).toBeGreaterThan(0)
    parses.n = 0
    const seen = new Set<string>()
    const cases = [
      [CONSENTS.both, 'marketing'],
      [CONSENTS.opens, 'marketing'],
      [CONSENTS.clicks, 'marketing'],
      [CONSENTS.denied, 'marketing'],
      [CONSENTS.denied, 'consent-request'],
      [CONSENTS.both, 'transactional'],
    ] as const
    for (let i = 0; i < 60; i++) {
      const [consent, category] = cases[i % cases.length]!
      const before = signs
      const r = await campaign.render({ ...consent, contactId: `c_${i}` }, category, { messageId: `m_${i}` })
      expect(signs - before).toBe(category === 'transactional' ? 0 : 1)
      if (r.links.withdraw) {
        expect(seen.has(r.links.withdraw)).toBe(false)
        seen.add(r.links.withdraw)
        expect((await tokens.verify(r.links.withdraw.split('/w/')[1]!, { purpose: 'withdraw' })).contactId).toBe(`c_${i}`)
      }
      if (r.decision.opens) expect(count(r.html!, `${BASE}/o/`)).toBe(1)
    }
    expect(parses.n).toBe(0)
  })

  test('an untracked render with nothing personal to place signs nothing and returns the precomputed string', async () => {
    const plain = compile('<p><a href="https://example.com/?_hsenc=x">x</a></p>', { tokens: countingTokens, baseUrl: BASE, now: NOW })
    parses.n = 0
    const a = await plain.render(CONSENTS.denied, 'marketing')
    const b = await plain.render(null, 'marketing')
    expect(signs).toBe(0)
    expect(parses.n).toBe(0)
    expect(a.html).toBe('<p><a href="https://example.com/">x</a></p>')
    expect(b.html).toBe(a.html)
  })
})
