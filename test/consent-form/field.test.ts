import fc from 'fast-check'
import { parseFragment, type DefaultTreeAdapterMap } from 'parse5'
import { describe, expect, test } from 'vitest'
import { ConsentFormError, trackingConsentField } from '../../src/index.js'

type Node = DefaultTreeAdapterMap['node']
type Element = DefaultTreeAdapterMap['element']

function elements(html: string): Element[] {
  const out: Element[] = []
  const walk = (node: Node) => {
    if ('tagName' in node) out.push(node)
    if ('childNodes' in node) node.childNodes.forEach(walk)
    if ('content' in node) walk(node.content)
  }
  walk(parseFragment(html))
  return out
}
const attr = (el: Element, name: string) => el.attrs.find((a) => a.name === name)?.value
function textOf(node: Node): string {
  if (node.nodeName === '#text') return (node as DefaultTreeAdapterMap['textNode']).value
  return 'childNodes' in node ? node.childNodes.map(textOf).join('') : ''
}

function expectCode(fn: () => unknown, code: string) {
  expect(fn).toThrow(expect.objectContaining({ code }))
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ConsentFormError)
  }
}

describe('render', () => {
  test('one unchecked checkbox, labelled, described by a versioned notice, in en and fr', () => {
    const field = trackingConsentField({ formId: 'signup', noticeVersion: '2026-04', noticeUrl: '/privacy/tracking' })
    for (const [locale, words] of [['en', /open your emails/], ['fr-FR', /ouvre vos e-mails/]] as const) {
      const html = field.render({ locale })
      const all = elements(html)
      const boxes = all.filter((e) => e.tagName === 'input' && attr(e, 'type') === 'checkbox')
      expect(boxes).toHaveLength(1)
      const box = boxes[0]!
      expect(box.attrs.map((a) => a.name)).not.toContain('checked')
      expect(attr(box, 'name')).toBe('tracking_consent')
      expect(attr(box, 'value')).toBe('yes')
      const label = all.find((e) => e.tagName === 'label')!
      expect(attr(label, 'for')).toBe(attr(box, 'id'))
      expect(textOf(label)).toMatch(words)
      const notice = all.find((e) => attr(e, 'id') === attr(box, 'aria-describedby'))!
      expect(textOf(notice)).toContain('2026-04')
      const link = all.find((e) => e.tagName === 'a')!
      expect(attr(link, 'href')).toBe('/privacy/tracking')
      const hidden = all.find((e) => attr(e, 'type') === 'hidden')!
      expect([attr(hidden, 'name'), attr(hidden, 'value')]).toEqual(['tracking_consent_notice', '2026-04'])
      expect(attr(all[0]!, 'lang')).toBe(locale.slice(0, 2))
    }
  })

  test('separate purposes give two unchecked checkboxes with their own labels', () => {
    const field = trackingConsentField({ formId: 'signup', noticeVersion: 'v3', separatePurposes: true })
    const boxes = elements(field.render()).filter((e) => attr(e, 'type') === 'checkbox')
    expect(boxes.map((b) => attr(b, 'name'))).toEqual(['tracking_consent_opens', 'tracking_consent_clicks'])
    expect(boxes.every((b) => attr(b, 'checked') === undefined)).toBe(true)
    expect(field.fieldNames).toEqual({ checkboxes: ['tracking_consent_opens', 'tracking_consent_clicks'], noticeVersion: 'tracking_consent_notice' })
  })

  test('every configurable text, id and version is escaped (property)', () => {
    const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
    const label = text.filter((s) => s.trim() !== '' && !/[\u0000-\u001f\u007f-\u009f]/.test(s))
    fc.assert(
      fc.property(label, label, text, text, (formId, noticeVersion, both, notice) => {
        const field = trackingConsentField({ formId, noticeVersion, texts: { en: { both, notice } } })
        const all = elements(field.render())
        expect(all.filter((e) => e.tagName === 'input')).toHaveLength(2)
        expect(all.filter((e) => !['div', 'input', 'p', 'label'].includes(e.tagName))).toEqual([])
        expect(textOf(all.find((e) => e.tagName === 'label')!)).toBe(both)
        expect(attr(all[0]!, 'data-notice-version')).toBe(noticeVersion)
        expect(textOf(all.find((e) => e.attrs.some((a) => a.name === 'class' && a.value === 'etc-consent__notice'))!)).toBe(
          `${notice} Information notice version ${noticeVersion}.`,
        )
      }),
      { numRuns: 300 },
    )
  })

  test('refuses missing ids and non-http notice links', () => {
    expectCode(() => trackingConsentField({ formId: '', noticeVersion: 'v1' }), 'invalid-option')
    expectCode(() => trackingConsentField({ formId: 'f', noticeVersion: ' ' }), 'invalid-option')
    expectCode(() => trackingConsentField({ formId: 'f', noticeVersion: 'v1', noticeUrl: 'javascript:alert(1)' }), 'invalid-option')
    expectCode(() => trackingConsentField({ formId: 'f', noticeVersion: 'v1', name: '1bad' }), 'invalid-option')
  })
})

describe('toEvents', () => {
  const field = trackingConsentField({ formId: 'signup', noticeVersion: '2026-04' })
  const at = new Date('2026-11-02T09:30:00Z')
  const context = { contactId: 'c_42', at, ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (X11)' }

  test('an unticked box gives collect + deny for both purposes, with the evidence', () => {
    const events = field.toEvents(new URLSearchParams('email=x&tracking_consent_notice=2026-04'), context)
    expect(events.map((e) => [e.type, e.purposes])).toEqual([['collect', undefined], ['deny', ['opens', 'clicks']]])
    for (const e of events) {
      expect(e).toMatchObject({ contactId: 'c_42', at, source: 'form', noticeVersion: '2026-04' })
      expect(e.evidence).toEqual({ formId: 'signup', ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (X11)' })
    }
  })

  test('a ticked box gives collect + grant, from URLSearchParams, FormData or a parsed body alike', () => {
    const fd = new FormData()
    fd.set('tracking_consent', 'yes')
    fd.set('tracking_consent_notice', '2026-04')
    const inputs = [new URLSearchParams('tracking_consent=yes&tracking_consent_notice=2026-04'), fd, { tracking_consent: 'yes', tracking_consent_notice: '2026-04' }]
    const outputs = inputs.map((s) => field.toEvents(s, context))
    expect(outputs[0]!.map((e) => [e.type, e.purposes])).toEqual([['collect', undefined], ['grant', ['opens', 'clicks']]])
    expect(outputs[1]).toEqual(outputs[0])
    expect(outputs[2]).toEqual(outputs[0])
  })

  test('separate purposes: grant what is ticked, deny the rest', () => {
    const two = trackingConsentField({ formId: 'prefs', noticeVersion: 'v2', separatePurposes: true })
    const events = two.toEvents({ tracking_consent_clicks: 'yes', tracking_consent_notice: 'v2' }, context)
    expect(events.map((e) => [e.type, e.purposes])).toEqual([['collect', undefined], ['grant', ['clicks']], ['deny', ['opens']]])
  })

  test('event ids are stable for one submission and differ between submissions', () => {
    const body = { tracking_consent: 'yes', tracking_consent_notice: '2026-04' }
    const ids = field.toEvents(body, context).map((e) => e.id)
    expect(field.toEvents(body, context).map((e) => e.id)).toEqual(ids)
    expect(new Set(ids).size).toBe(ids.length)
    const later = field.toEvents(body, { ...context, at: new Date(at.getTime() + 1000) }).map((e) => e.id)
    expect(later.some((id) => ids.includes(id))).toBe(false)
    expect(field.toEvents(body, { ...context, submissionId: 's2' }).map((e) => e.id).some((id) => ids.includes(id))).toBe(false)
  })

  test('a form rendered with another notice version is refused, so the notice can be shown again', () => {
    expectCode(() => field.toEvents({ tracking_consent: 'yes', tracking_consent_notice: '2025-01' }, context), 'notice-mismatch')
    expectCode(() => field.toEvents({ tracking_consent: 'yes' }, context), 'notice-mismatch')
  })

  test('a tampered checkbox value, an email as contact id or a bad date are refused', () => {
    expectCode(() => field.toEvents({ tracking_consent: 'on', tracking_consent_notice: '2026-04' }, context), 'invalid-submission')
    expectCode(() => field.toEvents({ tracking_consent: ['yes', 'yes'], tracking_consent_notice: '2026-04' }, context), 'invalid-submission')
    expectCode(() => field.toEvents({ tracking_consent_notice: '2026-04' }, { contactId: 'ann@example.com' }), 'invalid-submission')
    expectCode(() => field.toEvents({ tracking_consent_notice: '2026-04' }, { contactId: 'c_1', at: new Date('nope') }), 'invalid-submission')
  })

  test('the user agent is cut to 512 characters and absent evidence stays absent', () => {
    const events = field.toEvents({ tracking_consent_notice: '2026-04' }, { contactId: 'c_9', userAgent: 'x'.repeat(2000) })
    expect(events[0]!.evidence).toEqual({ formId: 'signup', userAgent: 'x'.repeat(512) })
    expect(events[0]!.at).toBeInstanceOf(Date)
  })
})
