// Tracker data and URL cleaning: unwrapping without following, parameter
// dropping that keeps every other byte, and the personal-id heuristic.
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { cleanUrl, dropParams, knownTrackers, looksPersonal, matchRule, personalParams, trackerData } from '../../src/html/trackers.js'

const data = trackerData()

describe('cleanUrl', () => {
  test('unwraps redirects whose destination is written in the URL, nested ones too', () => {
    expect(cleanUrl(data, 'https://abc.r.eu-west-1.awstrack.me/L0/https:%2F%2Fshop.example.com%2Fsale%3Fid=3/1/0102018f/x=1').url).toBe('https://shop.example.com/sale?id=3')
    expect(cleanUrl(data, 'https://www.google.com/url?q=https%3A%2F%2Fexample.com%2Fa&sa=D&source=editors').url).toBe('https://example.com/a')
    expect(cleanUrl(data, 'https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fexample.com%2Fb%3Fmc_eid%3D1&data=05').url).toBe('https://example.com/b')
    const hex = Buffer.from('https://example.com/x?y=1').toString('hex')
    expect(cleanUrl(data, `https://news.example.ru/redirect/?target=statredirect&linknum=2&href=${hex}&hash=ab`).url).toBe('https://example.com/x?y=1')
    const nested = `https://www.google.com/url?q=${encodeURIComponent('https://l.facebook.com/l.php?u=' + encodeURIComponent('https://example.com/deep'))}`
    const r = cleanUrl(data, nested)
    expect(r.url).toBe('https://example.com/deep')
    expect(r.changes.map((c) => c.reason)).toEqual(['redirect:google-redirect', 'redirect:facebook-redirect'])
  })

  test('never follows an opaque redirect; anonymizes it when the tracker’s recipient parameter is known', () => {
    const sg = cleanUrl(data, 'https://u1.ct.sendgrid.net/ls/click?upn=abc-123')
    expect(sg).toEqual({ url: 'https://u1.ct.sendgrid.net/ls/click?upn=abc-123', changes: [], opaque: 'sendgrid' })
    const mc = cleanUrl(data, 'https://x.us14.list-manage.com/track/click?u=1&id=2&e=042ea43672')
    expect(mc.url).toBe('https://x.us14.list-manage.com/track/click?u=1&id=2')
    expect(mc.opaque).toBeUndefined()
  })

  test('a redirect whose parameter is not an absolute http(s) URL is left alone and reported', () => {
    for (const url of ['https://www.google.com/url?q=javascript:alert(1)', 'https://www.google.com/url?q=%E0%A4%A', 'https://www.google.com/url?sa=D']) {
      expect(cleanUrl(data, url)).toEqual({ url, changes: [], opaque: 'google-redirect' })
    }
  })

  test('drops per-recipient parameters and keeps campaign ones; user additions apply', () => {
    expect(cleanUrl(data, 'https://e.com/p?utm_source=n&mc_eid=1&mc_cid=2&_hsenc=x&__hssc=y#frag').url).toBe('https://e.com/p?utm_source=n&mc_cid=2#frag')
    const custom = trackerData({ params: ['Sub_ID'], rules: [{ name: 'acme', kind: 'click', pattern: /^https:\/\/go\.acme\.test\/r\?/, destination: { param: 'to' } }] })
    const r = cleanUrl(custom, 'https://go.acme.test/r?to=https%3A%2F%2Fexample.com%2F%3Fsub_id%3D9%26k%3D1')
    expect(r.url).toBe('https://example.com/?k=1')
    expect(r.changes.map((c) => c.reason)).toEqual(['redirect:acme', 'param:sub_id'])
  })
})

describe('dropParams', () => {
  test('removing nothing returns the same string; removing keeps every other byte in order', () => {
    const pair = fc.tuple(fc.constantFrom('a', 'b', 'mc_eid', '_hsmi', 'x%5Fy', 'q'), fc.string({ unit: fc.constantFrom('1', 'z', '%20', '+', '=', '.') }))
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 6 }), fc.constantFrom('', '#h', '#a?b=1'), (pairs, hash) => {
        const query = pairs.map(([k, v]) => `${k}=${v}`).join('&')
        const url = `https://e.com/p${query ? `?${query}` : ''}${hash}`
        expect(dropParams(url, () => false)).toEqual({ url, removed: [] })
        const { url: out, removed } = dropParams(url, (n) => n === 'mc_eid' || n === '_hsmi')
        const kept = pairs.filter(([k]) => k !== 'mc_eid' && k !== '_hsmi').map(([k, v]) => `${k}=${v}`).join('&')
        expect(out).toBe(`https://e.com/p${kept ? `?${kept}` : ''}${hash}`)
        expect(removed.length).toBe(pairs.length - pairs.filter(([k]) => k !== 'mc_eid' && k !== '_hsmi').length)
      }),
    )
  })
})

describe('looksPersonal', () => {
  test('ids in query or path are personal; static spacers are not', () => {
    for (const url of [
      'https://professionali.ru/zp.png?type=12&idrs=6229&uid=2505549&hash=9c5b0ad03de0579e',
      'https://t2d857ce9.emailsys2a.net/o/136/1071579/1264/0/4531494/9012/b16ba30df6.gif',
      'https://t.example.com/open/8f14e45f-ceea-467f-a4d1-7a2b1c3d4e5f.gif',
      'https://t.example.com/p.gif?r=jane%40example.com',
      'https://t.example.com/p/eyJhbGciOiJIUzI1NiJ9x.gif',
    ])
      expect(looksPersonal(url), url).toBe(true)
    for (const url of [
      'https://d1ergv6ync1qqr.cloudfront.net/assets/img/emailmonks/images/spacer.gif',
      'https://img.example.com/spacer.gif?v=2',
      'https://cdn.example.com/2024/05/logo.png',
      'cid:logo@01D5',
    ])
      expect(looksPersonal(url), url).toBe(false)
  })
})

describe('shipped data', () => {
  test('every rule is named and kinded; every click rule with a destination unwraps a sample', () => {
    for (const rule of knownTrackers) {
      expect(rule.name).toMatch(/^[a-z0-9-]+$/)
      expect(['pixel', 'click']).toContain(rule.kind)
      if (rule.kind === 'pixel') expect(rule.destination).toBeUndefined()
    }
    expect(personalParams.every((p) => p === p.toLowerCase())).toBe(true)
    const samples: Record<string, string> = {
      mailchimp: 'https://x.us1.list-manage.com/track/open.php?u=1&id=2&e=3',
      sendgrid: 'https://u1.ct.sendgrid.net/wf/open?upn=abc',
      'amazon-ses': 'https://x.r.us-east-1.awstrack.me/I0/0100/abc',
      keap: 'https://healthmarketing.infusionsoft.com/app/emailOpened/4852414/61286',
      rapidmail: 'https://t2d857ce9.emailsys2a.net/o/136/1071579/b16ba30df6.gif',
      mailjet: 'https://x.mjt.lu/oo/BAAAAA/abc.gif',
    }
    for (const [name, url] of Object.entries(samples)) expect(matchRule(data, 'pixel', url)?.name).toBe(name)
    expect(matchRule(data, 'pixel', 'https://cdn.example.com/hero.png')).toBeUndefined()
  })
})
