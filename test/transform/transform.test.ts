// transform(): each rule of the rewriting, on small real-shaped emails.
import { describe, expect, test } from 'vitest'
import { cnilPolicy } from '../../src/policy/cnil.js'
import type { ConsentRecord } from '../../src/policy/types.js'
import { transform, TransformError, type TransformOptions } from '../../src/transform.js'
import {
  BASE,
  CONSENTS,
  NOW,
  TRACKED_EDITS,
  UNTRACKED_EDITS,
  count,
  expectMinimalDiff,
  expectNoTrackers,
  record,
  renderedOf,
  tokens,
} from './helpers.js'

const opts: TransformOptions = { tokens, baseUrl: BASE, now: NOW, messageId: 'm_1' }
const page = (body: string, head = '<title>t</title>') => `<!DOCTYPE html>\r\n<html><head>${head}</head><body>${body}</body></html>`

async function tokenOf(url: string | undefined, purpose: 'withdraw' | 'open' | 'consent' | 'preferences' | 'unsubscribe') {
  expect(url).toBeDefined()
  return tokens.verify(url!.slice(url!.lastIndexOf('/') + 1), { purpose })
}

describe('tracked', () => {
  test('one pixel after the preheader, links wrapped and bound, withdrawal footer, bytes elsewhere unchanged', async () => {
    const html = page(
      '<div style="display:none;max-height:0">Preview text</div>\r\n<table><tr><td><p>Caf&eacute; &amp; {{ first_name }}: <a href="https://shop.example.com/a?x=1&amp;y=2" style="color:red">Shop</a> ' +
        "<a href='https://shop.example.com/b'>B</a> <a href=https://shop.example.com/c>C</a> <a href=\"mailto:help@example.com\">mail</a> <a href=\"tel:+33100000000\">tel</a> <a href=\"#top\">top</a></p></td></tr></table>",
    )
    const r = await transform({ html }, CONSENTS.both, 'marketing', opts)
    expect(r.decision).toMatchObject({ opens: true, clicks: true, basis: 'consent' })
    expectMinimalDiff(html, r.html!, renderedOf(r).html, TRACKED_EDITS)
    expect(count(r.html!, `${BASE}/o/`)).toBe(1)
    // Right after the preheader, outside the table.
    expect(r.html!.indexOf('<img')).toBe(r.html!.indexOf('Preview text</div>') + 'Preview text</div>'.length)
    expect(r.html).toMatch(/<img src="[^"]+" width="1" height="1" alt="" style="display:block;[^"]*">/)
    await tokenOf(r.links.pixel, 'open')
    expect(count(r.html!, `${BASE}/c/`)).toBe(3)
    // Unquoted values get quotes; single quotes stay.
    expect(r.html).toMatch(/<a href='https:\/\/t\.example\.com\/mail\/c\/[^']+'>B<\/a>/)
    expect(r.html).toMatch(/<a href="https:\/\/t\.example\.com\/mail\/c\/[^"]+">C<\/a>/)
    for (const keep of ['href="mailto:help@example.com"', 'href="tel:+33100000000"', 'href="#top"', 'Caf&eacute; &amp; {{ first_name }}', '<!DOCTYPE html>\r\n']) expect(r.html).toContain(keep)
    // The click target is the decoded href, bound to the token by its MAC.
    const m = /\/c\/([^?"]+)\?u=([^&]+)&amp;h=([\w-]+)" style="color:red"/.exec(r.html!)!
    const claims = await tokens.verify(m[1]!, { purpose: 'click' })
    expect(decodeURIComponent(m[2]!)).toBe('https://shop.example.com/a?x=1&y=2')
    expect(tokens.isBoundTarget(claims, 'https://shop.example.com/a?x=1&y=2', m[3]!)).toBe(true)
    expect(tokens.isBoundTarget(claims, 'https://evil.example.net/', m[3]!)).toBe(false)
    // The footer: localized line, a withdrawal link that verifies, ESP no-track attributes.
    const claimsW = await tokenOf(r.links.withdraw, 'withdraw')
    expect(claimsW).toMatchObject({ contactId: 'c_42', messageId: 'm_1' })
    expect(r.html).toMatch(/This email tells us whether it was opened[^<]*<a href="https:\/\/t\.example\.com\/mail\/w\/[^"]+" data-tracking="withdraw"[^>]* clicktracking="off" data-pm-no-track="" ses:no-track="" mc:disable-tracking="" data-msys-clicktrack="0">Stop this tracking<\/a><\/div><\/body>/)
    await expect(tokens.verify(r.links.withdraw!.slice(`${BASE}/w/`.length), { purpose: 'open' })).rejects.toMatchObject({ code: 'bad-signature' })
  })

  test('a link whose href holds a lone surrogate is wrapped (target sent as U+FFFD); the email stays tracked', async () => {
    const html = page('<p><a href="https://shop.example.com/caf\uD800">x</a> <a href="https://shop.example.com/b">b</a></p>')
    const r = await transform(html, CONSENTS.both, 'marketing', opts)
    expect(r.decision.reasons.filter((reason) => reason.startsWith('error:'))).toEqual([])
    expect(count(r.html!, `${BASE}/c/`)).toBe(2)
    const m = /\/c\/([^?"]+)\?u=([^&]+)&amp;h=([\w-]+)">x</.exec(r.html!)!
    const claims = await tokens.verify(m[1]!, { purpose: 'click' })
    expect(decodeURIComponent(m[2]!)).toBe('https://shop.example.com/caf\uFFFD')
    expect(tokens.isBoundTarget(claims, decodeURIComponent(m[2]!), m[3]!)).toBe(true)
  })

  test('opens only: pixel, no wrapping; clicks only: wrapping, no pixel; both carry the withdrawal link', async () => {
    const html = page('<p><a href="https://example.com/x">x</a></p>')
    const o = await transform(html, CONSENTS.opens, 'marketing', opts)
    expect([count(o.html!, `${BASE}/o/`), count(o.html!, `${BASE}/c/`), count(o.html!, `${BASE}/w/`)]).toEqual([1, 0, 1])
    const c = await transform(html, CONSENTS.clicks, 'marketing', opts)
    expect([count(c.html!, `${BASE}/o/`), count(c.html!, `${BASE}/c/`), count(c.html!, `${BASE}/w/`)]).toEqual([0, 1, 1])
    expect(c.links.pixel).toBeUndefined()
  })

  test('links inside Outlook conditional comments (VML buttons) are found and wrapped; the pixel never goes there', async () => {
    const html = page(
      '<!--[if mso]>\r\n<v:roundrect xmlns:v="urn:schemas-microsoft-com:vml" href="https://example.com/mso?a=1&amp;b=2" style="height:40px" arcsize="10%"><w:anchorlock/><center>Go</center></v:roundrect>\r\n<![endif]--><!--[if !mso]><!--><a href="https://example.com/mso?a=1&amp;b=2">Go</a><!--<![endif]-->',
    )
    const r = await transform(html, CONSENTS.both, 'marketing', opts)
    expectMinimalDiff(html, r.html!, renderedOf(r).html, TRACKED_EDITS)
    const inComment = /<!--\[if mso\]>[\s\S]*?<!\[endif\]-->/.exec(r.html!)![0]
    expect(inComment).toMatch(/<v:roundrect [^>]*href="https:\/\/t\.example\.com\/mail\/c\/[^"]+\?u=https%3A%2F%2Fexample\.com%2Fmso%3Fa%3D1%26b%3D2&amp;h=/)
    expect(inComment).not.toContain('<img')
    expect(count(r.html!, `${BASE}/c/`)).toBe(2)
  })

  test('merge-tag links, data-no-track and ESP no-track links are not wrapped; skipped ones are reported', async () => {
    const html = page(
      '<a href="https://example.com/u/{{ user_id }}">me</a> <a href="https://example.com/k" data-no-track>k</a> <a clicktracking="off" href="https://example.com/s">s</a> <a href="*|ARCHIVE|*">archive</a> <a href="{unsubscribe_url}">u</a> <a href="https://example.com/q">q</a>',
    )
    const r = await transform(html, CONSENTS.both, 'marketing', opts)
    expect(count(r.html!, `${BASE}/c/`)).toBe(1)
    expect(r.warnings).toContain('link-skipped:merge-tag')
    for (const keep of ['https://example.com/u/{{ user_id }}', '"https://example.com/k" data-no-track', 'href="*|ARCHIVE|*"']) expect(r.html).toContain(keep)
  })

  test('unsubscribe and preference links are never wrapped and get the ESP no-track attributes', async () => {
    const html = page('<a href="https://example.com/unsubscribe?id=9">Unsubscribe</a> <a href="https://example.com/p/9">Update your preferences</a>')
    const r = await transform(html, CONSENTS.both, 'marketing', { ...opts, providers: ['sendgrid', 'postmark'] })
    expect(r.html).not.toContain(`${BASE}/c/`)
    expect(r.html).toContain('<a href="https://example.com/unsubscribe?id=9" clicktracking="off" data-pm-no-track>')
    expect(r.html).toContain('<a href="https://example.com/p/9" clicktracking="off" data-pm-no-track>')
  })

  test('markers: data-tracking="withdraw" and "preferences" are filled, no footer then', async () => {
    const html = page('<p>Footer <a data-tracking="withdraw" href="#">stop tracking</a> · <a data-tracking="preferences">prefs</a> · <span data-tracking="unsubscribe"></span></p>')
    const r = await transform(html, CONSENTS.both, 'marketing', { ...opts, unsubscribe: true, providers: ['ses'] })
    expectMinimalDiff(html, r.html!, renderedOf(r).html, TRACKED_EDITS)
    expect(r.html).not.toContain('withdraw-line')
    expect(r.html).toMatch(/<a data-tracking="withdraw" href="https:\/\/t\.example\.com\/mail\/w\/[^"]+" ses:no-track>stop tracking<\/a>/)
    expect(r.html).toMatch(/<a data-tracking="preferences" href="https:\/\/t\.example\.com\/mail\/p\/[^"]+" ses:no-track>prefs<\/a>/)
    expect(r.html).toMatch(/<span data-tracking="unsubscribe"><a href="https:\/\/t\.example\.com\/mail\/u\/[^"]+" ses:no-track="">Unsubscribe<\/a><\/span>/)
    await tokenOf(r.links.withdraw, 'withdraw')
    await tokenOf(r.links.preferences, 'preferences')
    await tokenOf(r.links.unsubscribe, 'unsubscribe')
  })

  test('a hidden marker or one inside a conditional comment is not used: the footer is added and a warning given', async () => {
    for (const body of [
      '<div style="display:none"><a data-tracking="withdraw" href="#">stop</a></div>',
      '<!--[if mso]><a data-tracking="withdraw" href="#">stop</a><![endif]-->',
    ]) {
      const r = await transform(page(body), CONSENTS.both, 'marketing', opts)
      expect(r.warnings.some((w) => w === 'marker-hidden:withdraw' || w === 'marker-in-comment:withdraw')).toBe(true)
      expect(r.html).toContain('data-tracking="withdraw-line"')
      await tokenOf(r.links.withdraw, 'withdraw')
    }
  })

  test('French locale', async () => {
    const r = await transform({ html: page('<p>Bonjour</p>'), text: 'Bonjour' }, CONSENTS.both, 'marketing', { ...opts, locale: 'fr-FR' })
    expect(r.html).toContain('Cet e-mail nous indique s’il a été ouvert et quels liens ont été cliqués. <a ')
    expect(r.html).toContain('>Désactiver ce suivi</a>')
    expect(r.text).toBe(`Bonjour\n\nPour désactiver le suivi des ouvertures et des clics de nos e-mails\u00a0: ${r.links.withdraw}\n`)
  })

  test('no <body> (fragment): pixel and footer at the end; only </html>: before it', async () => {
    const frag = '<p>Hello <a href="https://example.com/">x</a></p>'
    const r = await transform(frag, CONSENTS.both, 'marketing', opts)
    expect(r.html!.startsWith(frag.slice(0, 9))).toBe(true)
    expect(r.html!.indexOf('<img')).toBeGreaterThan(r.html!.indexOf('</p>'))
    expectMinimalDiff(frag, r.html!, renderedOf(r).html, TRACKED_EDITS)
    const onlyHtml = '<html><p>Hi</p></html>'
    const r2 = await transform(onlyHtml, CONSENTS.both, 'marketing', opts)
    expect(r2.html!.endsWith('</div></html>')).toBe(true)
  })

  test('fails closed when the withdrawal link cannot be placed (document ends inside a raw-text element or a comment)', async () => {
    for (const html of ['<html><body><p>Hi <a href="https://example.com/">x</a></p><textarea>notes', '<p>Hi <a href="https://example.com/">x</a></p><!-- unclosed']) {
      const r = await transform(html, CONSENTS.both, 'marketing', opts)
      expect(r.decision).toMatchObject({ send: true, opens: false, clicks: false, basis: 'none' })
      expect(r.decision.reasons).toContain('error:withdraw-unplaceable')
      expect(r.html).not.toContain(BASE)
      expect(r.links).toEqual({})
      expect(r.headers['X-PM-TrackOpens']).toBe('false')
    }
  })

  test('text part: the withdrawal URL is appended in the text’s own line endings', async () => {
    const r = await transform({ html: page('<p>x</p>'), text: 'Hello\r\nBye\r\n' }, CONSENTS.both, 'marketing', opts)
    expect(r.text).toBe(`Hello\r\nBye\r\n\r\nTo stop open and click tracking of our emails: ${r.links.withdraw}\r\n`)
    expectMinimalDiff('Hello\r\nBye\r\n', r.text!, renderedOf(r).text, TRACKED_EDITS)
  })

  test('gmail clipping warning above 102 KB', async () => {
    const big = page(`<p>${'é'.repeat(60_000)}</p>`)
    const r = await transform(big, CONSENTS.denied, 'marketing', opts)
    expect(r.warnings.find((w) => w.startsWith('gmail-clipping:'))).toBe(`gmail-clipping:${Buffer.byteLength(r.html!)}`)
    const small = await transform(page('<p>small</p>'), CONSENTS.denied, 'marketing', opts)
    expect(small.warnings).toEqual([])
  })
})

describe('untracked', () => {
  const trackedByOthers = page(
    '<img src="https://x.list-manage.com/track/open.php?u=1&amp;id=2&amp;e=3" height="1" width="1">' +
      '<img src="https://img.example.com/spacer.gif" width="1" height="1" alt="">' +
      '<img src="https://news.example.com/o.gif?uid=2505549&amp;hash=9c5b0ad03de0" width="1" height="1">' +
      '<img src="https://cdn.example.com/logo.png" width="120" height="40">' +
      '<img src="https://t.example.org/pixel.png?rid=a8f3bc91d0e2" style="display:none">' +
      '<a href="https://example.com/a?utm_source=news&amp;mc_eid=abc123&amp;_hsenc=p2ANqtz-1&amp;_hsmi=55">A</a>' +
      '<a href="https://xyz.r.us-east-1.awstrack.me/L0/https:%2F%2Fwww.example.com%2Fsale%3Fa=1/1/0100018f-abc/xyz=123">Sale</a>' +
      '<a href="https://www.google.com/url?q=https://example.com/g&amp;sa=D">G</a>' +
      '<a href="https://u123.ct.sendgrid.net/ls/click?upn=opaque-token">Opaque</a>' +
      '<a href="https://www.facebook.com/sharer/sharer.php?u=https://example.com/x">Share</a>',
  )

  test('removes ESP pixels, personal hidden/1×1 images, per-recipient params; unwraps readable redirects; keeps spacers and opaque redirects', async () => {
    const r = await transform(trackedByOthers, CONSENTS.denied, 'marketing', opts)
    expectMinimalDiff(trackedByOthers, r.html!, renderedOf(r).html, UNTRACKED_EDITS)
    expectNoTrackers(r.html!)
    expect(r.html).toContain('<img src="https://img.example.com/spacer.gif" width="1" height="1" alt="">')
    expect(r.html).toContain('<img src="https://cdn.example.com/logo.png" width="120" height="40">')
    expect(r.html).not.toContain('list-manage')
    expect(r.html).not.toContain('uid=2505549')
    expect(r.html).not.toContain('rid=a8f3bc91d0e2')
    expect(r.html).toContain('<a href="https://example.com/a?utm_source=news">A</a>')
    expect(r.html).toContain('<a href="https://www.example.com/sale?a=1">Sale</a>')
    expect(r.html).toContain('<a href="https://example.com/g">G</a>')
    expect(r.html).toContain('<a href="https://u123.ct.sendgrid.net/ls/click?upn=opaque-token">Opaque</a>')
    expect(r.html).toContain('sharer.php?u=https://example.com/x')
    expect(r.warnings).toContain('opaque-redirect:sendgrid')
    expect(r.removed.map((x) => `${x.kind}:${x.reason}`).sort()).toEqual(
      [
        'param:param:_hsenc',
        'param:param:_hsmi',
        'param:param:mc_eid',
        'pixel:known-pixel:mailchimp',
        'pixel:personal-image',
        'pixel:personal-image',
        'tracked-link:redirect:amazon-ses',
        'tracked-link:redirect:google-redirect',
      ].sort(),
    )
    // Tracking switched off at every ESP.
    expect(r.headers).toMatchObject({
      'X-SMTPAPI': '{"filters":{"clicktrack":{"settings":{"enable":0,"enable_text":0}},"opentrack":{"settings":{"enable":0}}}}',
      'X-Mailgun-Track': 'no',
      'X-Mailgun-Track-Clicks': 'no',
      'X-Mailgun-Track-Opens': 'no',
      'X-PM-TrackOpens': 'false',
      'X-PM-TrackLinks': 'None',
      'X-Mailjet-TrackOpen': '0',
      'X-Mailjet-TrackClick': '0',
      'X-MSYS-API': '{"options":{"open_tracking":false,"click_tracking":false}}',
    })
  })

  test('the shipped tracker list is extended by options.trackers: a user pixel rule and a user parameter are removed with their reasons', async () => {
    const html = page('<img src="https://acme.example/open?c=1" width="600" height="2" alt=""><a href="https://example.com/?Sub_ID=9&amp;k=1">x</a>')
    const trackers = { rules: [{ name: 'acme', kind: 'pixel' as const, pattern: /^https:\/\/acme\.example\/open\b/ }], params: ['sub_id'] }
    const shipped = await transform(html, CONSENTS.denied, 'marketing', opts)
    expect(shipped.html).toBe(html)
    const r = await transform(html, CONSENTS.denied, 'marketing', { ...opts, trackers })
    expectMinimalDiff(html, r.html!, renderedOf(r).html, UNTRACKED_EDITS)
    expect(r.html).not.toContain('acme.example')
    expect(r.html).toContain('<a href="https://example.com/?k=1">x</a>')
    expect(r.removed.map((x) => `${x.kind}:${x.reason}`).sort()).toEqual(['param:param:Sub_ID', 'pixel:known-pixel:acme'])
  })

  test('the same trackers are removed from a tracked email too (our pixel is the only one)', async () => {
    const r = await transform(trackedByOthers, CONSENTS.both, 'marketing', opts)
    expect(count(r.html!, '<img')).toBe(3)
    expect(count(r.html!, `${BASE}/o/`)).toBe(1)
    expect(r.html).not.toContain('mc_eid')
  })

  test('our own tracked output comes back clean; re-tracking it keeps one pixel and one withdrawal link', async () => {
    const html = page('<p><a href="https://example.com/a?x=1&amp;y=2">a</a> <a href="https://example.com/b">b</a></p>')
    const tracked = await transform({ html, text: 'Go https://example.com/b now' }, CONSENTS.both, 'marketing', opts)
    const clean = await transform({ html: tracked.html!, text: tracked.text! }, CONSENTS.denied, 'marketing', opts)
    expectNoTrackers(clean.html!)
    expect(clean.html).toBe(html)
    expect(clean.removed.map((x) => x.reason).sort()).toEqual(['own-click', 'own-click', 'own-pixel'])
    const again = await transform(tracked.html!, CONSENTS.both, 'marketing', opts)
    expect(count(again.html!, `${BASE}/o/`)).toBe(1)
    expect(count(again.html!, `${BASE}/w/`)).toBe(1)
    expect(count(again.html!, `${BASE}/c/`)).toBe(2)
    expect(count(again.html!, '?u=https%3A%2F%2Fexample.com%2Fa%3Fx%3D1%26y%3D2&amp;')).toBe(1)
  })

  test('an <a> left open across paragraphs (which the parser clones) is cleaned or wrapped once', async () => {
    // After </p> the parser reopens the unclosed <a> for the next text as a clone with the same start tag.
    const html = page('<p><a href="https://shop.example.com/?mc_eid=42">link</p><p>more</p><img src="https://x.us1.list-manage.com/track/open.php?u=1&amp;e=3" width="1" height="1">')
    const untracked = await transform({ html }, CONSENTS.denied, 'marketing', opts)
    expect(untracked.decision.reasons.filter((x) => x.startsWith('error:'))).toEqual([])
    expectMinimalDiff(html, untracked.html!, renderedOf(untracked).html, UNTRACKED_EDITS)
    expectNoTrackers(untracked.html!)
    expect(untracked.html).not.toContain('mc_eid')
    const tracked = await transform({ html }, CONSENTS.both, 'marketing', opts)
    expect(tracked.decision.reasons.filter((x) => x.startsWith('error:'))).toEqual([])
    expectMinimalDiff(html, tracked.html!, renderedOf(tracked).html, TRACKED_EDITS)
    expect(count(tracked.html!, `${BASE}/c/`)).toBe(1)
  })

  test('a part with 150,000 per-recipient URLs is cleaned like a small one', async () => {
    const text = 'https://e.example.com/?mc_eid=1 '.repeat(150_000)
    const r = await transform({ text }, CONSENTS.denied, 'marketing', opts)
    expect(r.warnings.filter((w) => w.startsWith('error:'))).toEqual([])
    expect(r.removed).toHaveLength(150_000)
    expect(r.text).not.toContain('mc_eid')
  })

  test('text part: our click URLs are unwrapped and per-recipient params dropped', async () => {
    const html = page('<p>x</p>')
    const tracked = await transform({ html, text: 'x' }, CONSENTS.both, 'marketing', opts)
    const clickUrl = `${BASE}/c/${tracked.links.withdraw!.split('/w/')[1]}?u=${encodeURIComponent('https://example.com/p?q=1')}&h=abc`
    const text = `See ${clickUrl}.\nAlso https://example.com/n?mc_eid=1&k=2, thanks`
    const r = await transform({ html, text }, CONSENTS.denied, 'marketing', opts)
    expect(r.text).toBe('See https://example.com/p?q=1.\nAlso https://example.com/n?k=2, thanks')
    expectMinimalDiff(text, r.text!, renderedOf(r).text, UNTRACKED_EDITS)
  })

  test('a withdrawal marker is removed from an untracked email; a preferences marker is filled when the contact is known', async () => {
    const html = page('<p><a data-tracking="withdraw" href="#">Stop tracking</a> | <a data-tracking="preferences" href="#">Preferences</a></p>')
    const r = await transform(html, CONSENTS.denied, 'marketing', opts)
    expect(r.html).not.toContain('Stop tracking')
    expect(r.html).toMatch(/<a data-tracking="preferences" href="https:\/\/t\.example\.com\/mail\/p\/[^"]+"/)
    expect(r.links.withdraw).toBeUndefined()
    await tokenOf(r.links.preferences, 'preferences')
    const unknown = await transform(html, null, 'marketing', opts)
    expect(unknown.html).toContain('<a data-tracking="preferences" href="#"')
    expect(unknown.warnings).toContain('marker-skipped:preferences:no-token')
  })
})

describe('decisions and fail-closed paths', () => {
  test('transactional mail is byte-identical, headers included', async () => {
    const email = { html: page('<img src="https://x.list-manage.com/track/open.php?u=1" width="1" height="1"><a href="https://e.com/?mc_eid=1">x</a>'), text: 'x https://e.com/?mc_eid=1', amp: '<html ⚡4email><body>x</body></html>', headers: { 'X-Custom': '1' } }
    const r = await transform(email, CONSENTS.both, 'transactional', opts)
    expect(r).toMatchObject({ html: email.html, text: email.text, amp: email.amp, headers: email.headers, removed: [], warnings: [], links: {} })
    expect(r.decision.basis).toBe('exempt')
    // A policy that does not exempt transactional mail treats it like the rest.
    const strictPolicy = cnilPolicy({ exemptCategories: [] })
    const r2 = await transform(email, CONSENTS.denied, 'transactional', { ...opts, policy: strictPolicy })
    expect(r2.html).not.toContain('list-manage')
  })

  test('a malformed consent record or category fails closed: untracked, sendable, with an error reason', async () => {
    const html = page('<p><a href="https://example.com/">x</a></p>')
    const bad = { contactId: 'c_1', opens: { status: 'yes' }, clicks: { status: 'granted' } } as unknown as ConsentRecord
    const r = await transform(html, bad, 'marketing', opts)
    expect(r.decision).toMatchObject({ send: true, opens: false, clicks: false, basis: 'none', reasons: ['error:invalid-status'] })
    expect(r.html).toBe(html)
    expect(r.headers['X-PM-TrackLinks']).toBe('None')
    const r2 = await transform(html, CONSENTS.both, 'newsletter' as never, opts)
    expect(r2.decision.reasons).toEqual(['error:invalid-category'])
  })

  test('a signing failure fails closed (an email address as contact id is refused by the tokens)', async () => {
    const r = await transform(page('<p>x</p>'), record('granted', 'granted', 'jane@example.com'), 'marketing', opts)
    expect(r.decision).toMatchObject({ opens: false, clicks: false })
    expect(r.decision.reasons).toContain('error:sign:personal-data')
    expect(r.html).not.toContain(BASE)
  })

  test('an exception while rewriting (a failing click MAC) gives an untracked, sendable email with an error reason', async () => {
    const broken = { ...tokens, linkMac: () => { throw new RangeError('key unusable') } }
    const html = page('<img src="https://x.list-manage.com/track/open.php?u=1" width="1" height="1"><p><a href="https://example.com/">x</a></p>')
    const r = await transform(html, CONSENTS.both, 'marketing', { ...opts, tokens: broken })
    expect(r.decision).toMatchObject({ send: true, opens: false, clicks: false, basis: 'none' })
    expect(r.decision.reasons).toContain('error:rewrite:RangeError')
    expect(r.html).not.toContain('list-manage')
    expect(r.html).not.toContain(BASE)
    // Opens only needs no click MAC: that variant still works.
    const opensOnly = await transform(html, CONSENTS.opens, 'marketing', { ...opts, tokens: broken })
    expect(opensOnly.links.pixel).toBeDefined()
  })

  test('unsubscribed contacts: send false, untracked', async () => {
    const r = await transform(page('<p>x</p>'), { ...CONSENTS.both, subscribed: false }, 'marketing', opts)
    expect(r.decision).toMatchObject({ send: false, opens: false })
    expect(r.html).not.toContain(BASE)
  })

  test('consent request: no pixel, trackers stripped, consent link in its marker or a localized block; none during the wait', async () => {
    const asked: ConsentRecord = { ...record('unknown', 'unknown'), lastRequestAt: new Date('2026-01-01T00:00:00Z') }
    const withMarker = page('<img src="https://x.list-manage.com/track/open.php?u=1" width="1" height="1"><p>Please <a data-tracking="consent" href="#">say yes</a></p><a href="https://example.com/?_hsenc=1">x</a>')
    const r = await transform(withMarker, asked, 'consent-request', opts)
    expect(r.decision.send).toBe(true)
    expectMinimalDiff(withMarker, r.html!, renderedOf(r).html, [...UNTRACKED_EDITS, 'line-insert'])
    expect(r.html).toMatch(/<a data-tracking="consent" href="https:\/\/t\.example\.com\/mail\/consent\/[^"]+"/)
    expect(r.html).not.toContain('list-manage')
    expect(r.html).not.toContain('_hsenc')
    expect(r.html).not.toContain(`${BASE}/o/`)
    await tokenOf(r.links.consent, 'consent')
    const block = await transform(page('<p>Hello</p>'), asked, 'consent-request', { ...opts, locale: 'fr' })
    expect(block.html).toContain('Acceptez-vous que nous sachions')
    await tokenOf(block.links.consent, 'consent')
    const unplaceable = await transform({ html: '<p>Hello</p><!-- unclosed', text: 'Hello' }, asked, 'consent-request', opts)
    expect(unplaceable.warnings).toContain('consent-link-unplaceable')
    expect(unplaceable.html).toBe('<p>Hello</p><!-- unclosed')
    expect(unplaceable.text).toContain(unplaceable.links.consent)
    const tooSoon = await transform(withMarker, { ...asked, lastRequestAt: new Date('2026-08-01T00:00:00Z') }, 'consent-request', opts)
    expect(tooSoon.decision).toMatchObject({ send: false, reasons: ['request-cooldown'] })
    expect(tooSoon.links.consent).toBeUndefined()
    expect(tooSoon.html).not.toContain('say yes')
  })

  test('invalid options throw typed errors; rewriting problems never do', async () => {
    const html = page('<p>x</p>')
    const cases: [Partial<TransformOptions>, string][] = [
      [{ tokens: undefined as never }, 'invalid-tokens'],
      [{ baseUrl: 'not a url' }, 'invalid-base-url'],
      [{ baseUrl: 'ftp://t.example.com' }, 'invalid-base-url'],
      [{ baseUrl: 'https://t.example.com/?q=1' }, 'invalid-base-url'],
      [{ providers: ['nope' as never] }, 'invalid-option'],
      [{ tracker: 'them' as never }, 'invalid-option'],
      [{ unsubscribe: { mailto: 'a@b.c>, <x' } }, 'invalid-option'],
      [{ ses: { untracked: 'bad name\r\nX-Injected: 1' } }, 'invalid-option'],
      [{ messageId: 'jane@example.com' }, 'invalid-option'],
    ]
    for (const [patch, code] of cases) {
      await expect(transform(html, CONSENTS.both, 'marketing', { ...opts, ...patch })).rejects.toSatisfy(
        (e: unknown) => e instanceof TransformError && e.code === code,
      )
    }
    await expect(transform({ html: 42 as never }, null, 'marketing', opts)).rejects.toMatchObject({ code: 'invalid-email' })
  })
})

describe('headers', () => {
  test('provider mode: no pixel of ours, ESP tracking on per consent, withdrawal link still ours', async () => {
    const html = page('<p><a href="https://example.com/">x</a></p>')
    const r = await transform(html, CONSENTS.opens, 'marketing', { ...opts, tracker: 'provider', ses: { untracked: 'plain', tracked: 'tracked' } })
    expect(r.html).not.toContain(`${BASE}/o/`)
    expect(r.html).not.toContain(`${BASE}/c/`)
    await tokenOf(r.links.withdraw, 'withdraw')
    expect(r.headers).toMatchObject({
      'X-SMTPAPI': '{"filters":{"clicktrack":{"settings":{"enable":0,"enable_text":0}},"opentrack":{"settings":{"enable":1}}}}',
      'X-Mailgun-Track': 'yes',
      'X-Mailgun-Track-Clicks': 'no',
      'X-Mailgun-Track-Opens': 'yes',
      'X-PM-TrackOpens': 'true',
      'X-PM-TrackLinks': 'None',
      'X-Mailjet-TrackOpen': '1',
      'X-Mailjet-TrackClick': '0',
      'X-MSYS-API': '{"options":{"open_tracking":true,"click_tracking":false}}',
      'X-SES-CONFIGURATION-SET': 'tracked',
    })
    const both = await transform(html, CONSENTS.both, 'marketing', { ...opts, tracker: 'provider', providers: ['postmark', 'mailgun'] })
    expect(both.headers).toEqual({ 'X-PM-TrackOpens': 'true', 'X-PM-TrackLinks': 'HtmlOnly', 'X-Mailgun-Track': 'yes', 'X-Mailgun-Track-Clicks': 'htmlonly', 'X-Mailgun-Track-Opens': 'yes' })
    // The ESP must not wrap our withdrawal link.
    expect(both.html).toMatch(/data-tracking="withdraw"[^>]* data-pm-no-track=""/)
    const denied = await transform(html, CONSENTS.denied, 'marketing', { ...opts, tracker: 'provider', ses: { untracked: 'plain' } })
    expect(denied.headers['X-SES-CONFIGURATION-SET']).toBe('plain')
    expect(denied.headers['X-PM-TrackOpens']).toBe('false')
  })

  test('SES: no configuration-set header unless one is configured; with tracker self the untracked set is named, tracked or not', async () => {
    const html = page('<p><a href="https://example.com/">x</a></p>')
    for (const consent of [CONSENTS.denied, CONSENTS.both]) {
      const plain = await transform(html, consent, 'marketing', opts)
      expect(Object.keys(plain.headers).map((k) => k.toLowerCase())).not.toContain('x-ses-configuration-set')
      const configured = await transform(html, consent, 'marketing', { ...opts, ses: { untracked: 'no-tracking', tracked: 'esp-tracking' } })
      // We track ourselves (or not at all): the ESP's own tracking stays off.
      expect(configured.headers['X-SES-CONFIGURATION-SET']).toBe('no-tracking')
    }
  })

  test("providers: 'none' adds no header and no attribute; existing JSON headers are merged, case-insensitively", async () => {
    const html = page('<p><a data-tracking="withdraw">stop</a></p>')
    const none = await transform({ html, headers: { 'X-Other': 'kept' } }, CONSENTS.both, 'marketing', { ...opts, providers: 'none' })
    expect(none.headers).toEqual({ 'X-Other': 'kept' })
    expect(none.html).toMatch(/<a data-tracking="withdraw" href="[^"]+">stop<\/a>/)
    const merged = await transform(
      { html, headers: { 'x-smtpapi': '{"category":["news"],"filters":{"clicktrack":{"settings":{"enable":1}}}}', 'X-MSYS-API': 'not json' } },
      CONSENTS.denied,
      'marketing',
      { ...opts, providers: ['sendgrid', 'sparkpost'] },
    )
    expect(merged.headers).toEqual({
      'X-SMTPAPI': '{"category":["news"],"filters":{"clicktrack":{"settings":{"enable":0,"enable_text":0}},"opentrack":{"settings":{"enable":0}}}}',
      'X-MSYS-API': 'not json',
    })
    expect(merged.warnings).toContain('header-unmergeable:X-MSYS-API')
  })

  test('List-Unsubscribe with One-Click for an https base (RFC 8058), plain List-Unsubscribe otherwise', async () => {
    const r = await transform(page('<p>x</p>'), CONSENTS.denied, 'marketing', { ...opts, unsubscribe: { mailto: 'unsub@example.com' } })
    await tokenOf(r.links.unsubscribe, 'unsubscribe')
    expect(r.headers['List-Unsubscribe']).toBe(`<${r.links.unsubscribe}>, <mailto:unsub@example.com>`)
    expect(r.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click')
    const http = await transform(page('<p>x</p>'), CONSENTS.denied, 'marketing', { ...opts, baseUrl: 'http://localhost:3000/t', unsubscribe: true })
    expect(http.headers['List-Unsubscribe']).toMatch(/^<http:\/\/localhost:3000\/t\/u\/[^>]+>$/)
    expect(http.headers['List-Unsubscribe-Post']).toBeUndefined()
    const unknown = await transform(page('<p>x</p>'), null, 'marketing', { ...opts, unsubscribe: true })
    expect(unknown.headers['List-Unsubscribe']).toBeUndefined()
    expect(unknown.warnings).toContain('list-unsubscribe-skipped:no-token')
  })
})

describe('AMP part', () => {
  const amp =
    '<!doctype html><html ⚡4email data-css-strict><head><meta charset="utf-8"><script async src="https://cdn.ampproject.org/v0.js"></script><style amp4email-boilerplate>body{visibility:hidden}</style></head>' +
    '<body><p>Hi</p><amp-img src="https://t.example.org/o.gif?uid=8123456" width="1" height="1" layout="fixed"></amp-img>' +
    '<amp-img src="https://cdn.example.com/hero.png" width="600" height="300" layout="responsive"></amp-img>' +
    '<a href="https://example.com/?mc_eid=9&amp;x=1">x</a></body></html>'

  test('untracked: trackers stripped, the rest unchanged', async () => {
    const r = await transform({ html: page('<p>x</p>'), amp }, CONSENTS.denied, 'marketing', opts)
    expectMinimalDiff(amp, r.amp!, renderedOf(r).amp, UNTRACKED_EDITS)
    expect(r.amp).not.toContain('uid=8123456')
    expect(r.amp).toContain('hero.png')
    expect(r.amp).toContain('<a href="https://example.com/?x=1">x</a>')
  })

  test('tracked: the withdrawal line without inline style or non-data attributes; no pixel, no wrapping', async () => {
    const r = await transform({ html: page('<p>x</p>'), amp }, CONSENTS.both, 'marketing', opts)
    expect(r.amp).toContain(`<div data-tracking="withdraw-line">This email tells us whether it was opened and which links were clicked. <a href="${r.links.withdraw}" data-tracking="withdraw">Stop this tracking</a></div></body>`)
    expect(r.amp).not.toContain(`${BASE}/o/`)
    expect(r.amp).not.toContain(`${BASE}/c/`)
  })

  test('dropped when the withdrawal link cannot be placed in it', async () => {
    const broken = '<html ⚡4email><body><p>x</p><!-- unclosed note'
    const r = await transform({ html: page('<p>x</p>'), amp: broken }, CONSENTS.both, 'marketing', opts)
    expect(r.amp).toBeUndefined()
    expect(r.warnings).toContain('amp-dropped:withdraw-unplaceable')
    expect(r.decision.opens).toBe(true)
  })
})
