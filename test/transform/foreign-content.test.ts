// Found by the hostile-HTML stress run: inside MathML or SVG, an <img> ends
// the foreign element, so what follows parses as HTML. Removing a tracking
// pixel there changed how the rest parsed: a <plaintext> that had turned a
// tracked link into text no longer did, and the untracked email carried a live
// link with its mc_eid. A bare <img alt=""> now stands in for the pixel there.
import { fromHtml } from 'hast-util-from-html'
import { visit } from 'unist-util-visit'
import { describe, expect, test } from 'vitest'
import { compile, transform } from '../../src/transform.js'
import { BASE, CONSENTS, NOW, expectNoTrackers, tokens } from './helpers.js'

const PIXEL = '<img src="https://x.us1.list-manage.com/track/open.php?u=1&amp;id=2&amp;e=3" width="1" height="1">'
const LINK = '<a href="https://shop.example.com/a?utm_source=news&amp;mc_eid=8f2a91c">shop</a>'

const liveLinks = (html: string) => {
  const hrefs: string[] = []
  visit(fromHtml(html), 'element', (el) => {
    if (el.tagName === 'a' && typeof el.properties.href === 'string') hrefs.push(el.properties.href)
  })
  return hrefs
}

describe('tracking pixels inside SVG and MathML', () => {
  for (const open of ['<math>', '<svg>', '<MATH >', '<svg viewBox="0 0 1 1">']) {
    test(`${open}: the pixel goes, the rest parses as before`, async () => {
      const html = `<p>Hello</p>${open}${PIXEL}<plaintext><p>${LINK}`
      expect(liveLinks(html)).toEqual([])
      for (const consent of [null, undefined]) {
        const r = await transform({ html, text: 'x' }, consent ?? null, 'marketing', { tokens, baseUrl: BASE, now: NOW })
        const rendered = await compile({ html, text: 'x' }, { tokens, baseUrl: BASE }).render(consent ?? null, 'marketing', { now: NOW })
        for (const out of [r.html!, rendered.html!]) {
          expect(out).not.toContain('list-manage')
          expect(out).toContain(`${open}<img alt="">`)
          expect(liveLinks(out)).toEqual([])
          expectNoTrackers(out)
        }
        expect(r.removed.map((x) => x.kind)).toEqual(['pixel'])
      }
    })
  }

  test('without SVG or MathML in the document, the pixel is removed outright', async () => {
    const r = await transform({ html: `<p>Hi</p>${PIXEL}<p>${LINK}</p>` }, null, 'marketing', { tokens, baseUrl: BASE, now: NOW })
    expect(r.html).toBe('<p>Hi</p><p><a href="https://shop.example.com/a?utm_source=news">shop</a></p>')
  })
})

// Found by CI's fuzzing (seed 1669977458): the tokenizer reads `<v:<roundrect …>` as one start tag
// named `v:<roundrect`, a VML name, so its href is a link the library cleans, inside a conditional
// comment too. (The check had looked for the nearest `<` and found `<roundrect`.)
describe('a VML start tag whose name holds a "<"', () => {
  test('its href is cleaned in untracked mail, inside an Outlook conditional comment', async () => {
    const html = '<html><body><p>Hi</p><!--[if mso]><v:<roundrect xmlns:v="urn:schemas-microsoft-com:vml" href="https://c.example.com/btn?mc_eid=3"><center>Go</center></v:roundrect><![endif]--></body></html>'
    const r = await transform({ html, text: 'x' }, null, 'marketing', { tokens, baseUrl: BASE, now: NOW })
    expect(r.html).toBe(html.replace('?mc_eid=3', ''))
    expect(r.removed.map((x) => x.reason)).toEqual(['param:mc_eid'])
  })
})

// Found by CI's fuzzing (seed 186155025): a consent marker inside an <a> took our link, and a link
// in a link ends the outer one, so the output parsed differently from the input. Markers inside a
// link are left empty now, and the link goes where a marker-less template would take it.
describe('a marker inside a link', () => {
  test('gets no link of ours: the document parses as before', async () => {
    const html = '<html><body><a href="https://shop.example.com/d">Shop <p data-tracking="consent"></p></a><p>Bye</p></body></html>'
    const r = await transform({ html, text: 'x' }, CONSENTS.opens, 'consent-request', { tokens, baseUrl: BASE, now: NOW })
    expect(r.html).toContain('<p data-tracking="consent"></p></a>')
    expect(r.links.consent).toBeDefined()
    expect(r.html!.indexOf(r.links.consent!)).toBeGreaterThan(r.html!.indexOf('</a>'))
    // The shop link is still one link around the same text.
    const hrefs = liveLinks(r.html!)
    expect(hrefs.filter((h) => h.startsWith('https://shop.example.com/'))).toHaveLength(1)
  })
})
