// locate(): offsets into the original string (CRLF, astral characters,
// entities, quoting styles, comment content), markers and anchors.
import { describe, expect, test } from 'vitest'
import { locate } from '../../src/html/locate.js'
import { resolveEdits } from '../../src/html/splice.js'
import type { Plan } from '../../src/html/plan.js'

describe('locate', () => {
  test('attribute value ranges point at the raw characters, whatever the quoting, line endings or characters before', () => {
    const src = '<!doctype html>\r\n<body>😀 caf&eacute;\r\n<a HREF = \'https://e.com/?a=1&amp;b=2\'>x</a> <a href=https://e.com/u>u</a> <a href>empty</a> <a data-tracking="withdraw">w</a></body>'
    const map = locate(src)
    const [a, b, c, d] = map.links
    expect(src.slice(a!.value!.start, a!.value!.end)).toBe('https://e.com/?a=1&amp;b=2')
    expect(a!.value!.quoted).toBe(true)
    expect(a!.href).toBe('https://e.com/?a=1&b=2')
    expect(src.slice(b!.value!.start, b!.value!.end)).toBe('https://e.com/u')
    expect(b!.value!.quoted).toBe(false)
    expect(c!.value).toEqual({ start: src.indexOf('href>empty') + 4, end: src.indexOf('href>empty') + 4, quoted: false })
    expect(d!.marker).toBe('withdraw')
    expect(d!.value).toBeUndefined()
    expect(src[d!.attributesAt]).toBe('>')
    expect(src.slice(d!.start, d!.end)).toBe('<a data-tracking="withdraw">w</a>')
  })

  test('links and images inside Outlook conditional comments are located at their real offsets', () => {
    const src = '<body>\r\n<!--[if mso]>\r\n<v:roundrect href="https://e.com/mso" arcsize="5%"><center>Go</center></v:roundrect><img src="https://t.e.com/o.gif?uid=12345" width="1" height="1"><![endif]-->\r\n<!-- plain <a href="https://e.com/commented">old</a> --></body>'
    const map = locate(src)
    expect(map.links).toHaveLength(1)
    const [vml] = map.links
    expect(vml!.tag).toBe('v:roundrect')
    expect(vml!.inComment).toBe(true)
    expect(src.slice(vml!.value!.start, vml!.value!.end)).toBe('https://e.com/mso')
    expect(map.images).toHaveLength(1)
    expect(src.slice(map.images[0]!.start, map.images[0]!.end)).toBe('<img src="https://t.e.com/o.gif?uid=12345" width="1" height="1">')
  })

  test("a link's label is its shown words and image alts, never script, style or template text", () => {
    const map = locate('<body><a href="https://e.com/a"><style>.unsubscribe{color:red}</style>Read <img alt="the news"><script>var optout=1</script><template>Unsubscribe</template> now</a></body>')
    expect(map.links[0]!.label).toBe('Read the news now')
  })

  test('<link>, <base> and stylesheet hrefs are not links', () => {
    const map = locate('<html><head><link rel="stylesheet" href="https://fonts.example.com/css"><base href="https://e.com/"></head><body><area href="https://e.com/map"></body></html>')
    expect(map.links.map((l) => l.tag)).toEqual(['area'])
  })

  test('anchors: after the preheader (outside a downlevel-revealed block), else body start; before </body>, </html>, or the parsed end', () => {
    const pre = '<body><!--[if !mso]><!--><div style="display:none">Pre</div><!--<![endif]-->\n<table><tr><td>x</td></tr></table></body>'
    const m1 = locate(pre)
    expect(m1.top.how).toBe('after-preheader')
    expect(pre.slice(0, m1.top.offset).endsWith('<!--<![endif]-->')).toBe(true)
    expect(m1.bottom).toEqual({ offset: pre.indexOf('</body>'), how: 'before-body-end' })
    // The Outlook body hack: the real <body> sits in a downlevel-revealed block; the pixel goes after its end.
    const hack = '<html><head></head><!--[if mso]><body class="mso"><![endif]--><!--[if !mso]><!--><body class="web"><!--<![endif]--><p>x</p></body></html>'
    expect(hack.slice(0, locate(hack).top.offset).endsWith('<body class="web"><!--<![endif]-->')).toBe(true)
    const inTable = '<body><table><tr><td><div style="display:none">Pre</div></td></tr></table></body>'
    expect(locate(inTable).top.how).toBe('after-preheader')
    const noPre = '<body class="x">\n<p>Visible first</p><div style="display:none">late</div></body>'
    expect(locate(noPre).top).toEqual({ offset: '<body class="x">'.length, how: 'body-start' })
    expect(locate('<html><p>x</p></html>').bottom.how).toBe('before-html-end')
    expect(locate('<p>x</p>\n').bottom).toEqual({ offset: 9, how: 'document-end' })
    const dangling = '<p>x</p><a href="https://e.com/'
    expect(locate(dangling).bottom).toEqual({ offset: 8, how: 'document-end' })
    // The same dangling tag inside an open <html>, whose parsed end reaches the end of input.
    const danglingInHtml = '<html><head><title>x</title></head><a href="https://e.com/\n</html>'
    expect(locate(danglingInHtml).bottom).toEqual({ offset: danglingInHtml.indexOf('<a '), how: 'document-end' })
  })

  test('hidden ancestors and unclosed elements are recorded', () => {
    const map = locate('<body><div hidden><a data-tracking="withdraw" href="#">w</a></div><img src="x.gif" style="width:1px;height:1px"><p data-tracking="preferences">')
    expect(map.links[0]!.hidden).toBe(true)
    expect(map.images[0]).toMatchObject({ width: 1, height: 1, closed: true })
    expect(map.boxes[0]).toMatchObject({ kind: 'preferences', closed: false })
  })
})

describe('resolveEdits', () => {
  const plan = (edits: Plan['edits']): Plan => ({ edits, removed: [], warnings: [], clicks: [], placed: { withdraw: 0, consent: 0, pixel: false } })
  test('sorts, keeps insertions at the same offset in plan order, drops edits inside a removed element', () => {
    const out = resolveEdits(
      plan([
        { start: 10, end: 10, kind: 'line-insert', pieces: ['B'] },
        { start: 2, end: 8, kind: 'marker-remove', pieces: [] },
        { start: 4, end: 5, kind: 'link-clean', pieces: ['x'] },
        { start: 10, end: 10, kind: 'line-insert', pieces: ['C'] },
        { start: 0, end: 0, kind: 'pixel-insert', pieces: [] },
      ]),
      20,
    )
    expect(out.map((e) => `${e.kind}@${e.start}${e.pieces.join('')}`)).toEqual(['marker-remove@2', 'line-insert@10B', 'line-insert@10C'])
  })

  test('throws on a partial overlap or an edit out of range (the caller fails closed)', () => {
    expect(() => resolveEdits(plan([{ start: 2, end: 6, kind: 'link-clean', pieces: [] }, { start: 4, end: 9, kind: 'link-wrap', pieces: [] }]), 20)).toThrow(/overlapping/)
    expect(() => resolveEdits(plan([{ start: 2, end: 30, kind: 'link-clean', pieces: [] }]), 20)).toThrow(/out of range/)
  })
})
