import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { createClassifier } from '../../src/http/lib/classify.js'

const classify = createClassifier([
  { kind: 'scanner', ipRanges: ['2001:db8:abcd::/48', '::ffff:198.51.100.0/120', '192.0.2.128/25'] },
])
const BROWSER = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36'

describe('fetch classification', () => {
  test('IP ranges: IPv4, IPv6, IPv4-mapped, bracketed and zoned forms', () => {
    const kind = (ip: string) => classify(BROWSER, ip).machineKind
    expect(kind('17.1.2.3')).toBe('apple-mpp')
    expect(kind('::ffff:17.1.2.3')).toBe('apple-mpp')
    expect(kind('18.1.2.3')).toBeUndefined()
    expect(kind('40.92.0.1')).toBe('outlook-proxy')
    expect(kind('40.94.255.255')).toBeUndefined()
    expect(kind('2a01:111:f400:7e1b::5')).toBe('outlook-proxy')
    expect(kind('[2001:db8:abcd:12::1]')).toBe('scanner')
    expect(kind('2001:db8:abce::1')).toBeUndefined()
    expect(kind('fe80::1%eth0')).toBeUndefined()
    expect(kind('198.51.100.200')).toBe('scanner')
    expect(kind('192.0.2.129')).toBe('scanner')
    expect(kind('192.0.2.127')).toBeUndefined()
    for (const garbage of ['', 'x', '1.2.3', '1.2.3.4.5', '256.1.1.1', '::1::2', '1:2:3:4:5:6:7:8:9', 'g::1']) expect(kind(garbage)).toBeUndefined()
  })

  test('property: an address is in a /n range exactly when its first n bits match', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV4(), fc.integer({ min: 0, max: 32 }), (net, ip, bits) => {
        const c = createClassifier([{ kind: 'scanner', ipRanges: [`${net}/${bits}`] }])
        const toInt = (a: string) => a.split('.').reduce((n, b) => n * 256 + Number(b), 0)
        const inside = Math.floor(toInt(net) / 2 ** (32 - bits)) === Math.floor(toInt(ip) / 2 ** (32 - bits))
        // Extra signatures are tried first, and no built-in range is a scanner one.
        expect(c(BROWSER, ip).machineKind === 'scanner').toBe(inside)
      }),
    )
  })

  test('device classes from user agents', () => {
    const device = (ua: string) => classify(ua, undefined).device
    expect(device('Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148')).toBe('mobile')
    expect(device('Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1')).toBe('webmail')
    expect(device('Mozilla/5.0 (Linux; Android 13; SM-S911B; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0 Mobile Safari/537.36')).toBe('mobile')
    expect(device('Outlook-iOS/723.4027091.prod.iphone (4.2402.0)')).toBe('mobile')
    expect(device('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)')).toBe('desktop')
    expect(device('Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15')).toBe('webmail')
    expect(device('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0')).toBe('webmail')
    expect(device('Mozilla/4.0 (compatible; ms-office; MSOffice 16)')).toBe('desktop')
  })

  test('machine agents, and no agent at all', () => {
    expect(classify('', undefined)).toEqual({ device: 'unknown', machine: true, machineKind: 'scanner', matchedBy: 'no-user-agent' })
    expect(classify('Mozilla/5.0', undefined)).toMatchObject({ machine: true, machineKind: 'apple-mpp', matchedBy: 'user-agent' })
    expect(classify('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', undefined).machineKind).toBe('scanner')
    expect(classify('Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)', undefined).machineKind).toBe('scanner')
    expect(classify(BROWSER, undefined)).toEqual({ device: 'webmail', machine: false })
  })
  test('property: the kept answers are the answers, across the cache filling up and emptying', () => {
    const signatures = [{ kind: 'scanner' as const, ipRanges: ['192.0.2.0/24'] }]
    const cached = createClassifier(signatures)
    const agent = fc.constantFrom(BROWSER, 'Mozilla/5.0', '', 'Outlook-iOS/723.4027091.prod.iphone (4.2402.0)', 'Slackbot-LinkExpanding 1.0')
    const ip = fc.option(fc.oneof(fc.ipV4(), fc.constantFrom('192.0.2.7', '::1')), { nil: undefined })
    // Far more distinct pairs than the cache keeps (1,024), each asked twice.
    fc.assert(
      fc.property(fc.array(fc.tuple(agent, fc.integer({ min: 0, max: 9999 }), ip), { minLength: 1, maxLength: 400 }), (pairs) => {
        for (const [a, n, address] of pairs) {
          const ua = `${a} ${n}`
          const fresh = createClassifier(signatures)(ua, address)
          expect(cached(ua, address)).toEqual(fresh)
          expect(cached(ua, address)).toEqual(fresh)
        }
      }),
      { numRuns: 40 },
    )
  })
})
