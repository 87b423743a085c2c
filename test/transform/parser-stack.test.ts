// A document nested deeper than the JS stack allows: parse5 itself is
// iterative, but the hast conversion and the tree walk recurse once per level,
// so they throw RangeError ("Maximum call stack size exceeded"). That must
// fail closed: no throw, no tracking, the HTML sent as written (nothing can be
// located, so nothing can be removed or added safely), the reason recorded,
// and the ESP still told by headers not to track.
import { describe, expect, test } from 'vitest'
import { compile, transform } from '../../src/transform.js'
import { BASE, CONSENTS, NOW, tokens } from './helpers.js'

// <table><tr><td> keeps parse5 fast (each <td> bounds its scope checks) while the tree gets 3 levels per repeat.
const DEPTH = 40_000
const html = `<!DOCTYPE html><html><body><p>Hi <a href="https://shop.example.com/?mc_eid=1">shop</a></p>${'<table><tr><td>'.repeat(DEPTH)}deep</body></html>`

describe('a document deeper than the stack', () => {
  test('transform() and compile().render() fail closed with error:parse:RangeError, for a contact who granted everything', async () => {
    const r = await transform({ html, text: 'Hi https://shop.example.com/' }, CONSENTS.both, 'marketing', { tokens, baseUrl: BASE, now: NOW })
    const rendered = await compile({ html, text: 'Hi https://shop.example.com/' }, { tokens, baseUrl: BASE }).render(CONSENTS.both, 'marketing', { messageId: 'm_1', now: NOW })
    for (const out of [r, rendered]) {
      expect(out.html).toBe(html)
      expect(out.html).not.toContain(`${BASE}/`)
      expect(out.links.pixel).toBeUndefined()
      expect(out.links.withdraw).toBeUndefined()
      expect(out.warnings).toContain('error:parse:RangeError')
      expect(out.decision.reasons).toContain('error:parse')
      expect(out.headers['X-PM-TrackOpens']).toBe('false')
      expect(out.text).not.toContain(`${BASE}/`)
    }
  }, 60_000)
})
