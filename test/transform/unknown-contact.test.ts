// A contact unknown to the store is never tracked, but still gets its own
// unsubscribe and consent links when the caller names its opaque id.
import { describe, expect, test } from 'vitest'
import { compile, transform } from '../../src/transform.js'
import { BASE, NOW, expectNoTrackers, tokens } from './helpers.js'

const html = '<html><body><p>Hello <a href="https://shop.example/sale">sale</a></p></body></html>'
const options = { tokens, baseUrl: BASE, now: NOW, unsubscribe: true as const }

describe('unknown contact with options.contactId', () => {
  test('marketing: untracked, with a List-Unsubscribe link signed for that id', async () => {
    const r = await transform({ html }, null, 'marketing', { ...options, contactId: 'c_new' })
    expect(r.decision).toMatchObject({ opens: false, clicks: false, reasons: ['unknown-contact'] })
    expectNoTrackers(r.html!)
    const url = /<([^>]+)>/.exec(r.headers['List-Unsubscribe']!)![1]!
    const claims = await tokens.verify(url.split('/u/')[1]!, { purpose: 'unsubscribe' })
    expect(claims.contactId).toBe('c_new')
    // Without the id there is nobody to sign for: no personal unsubscribe link.
    const anonymous = await transform({ html }, null, 'marketing', options)
    expect(anonymous.headers['List-Unsubscribe']).toBeUndefined()
  })

  test('consent-request: the consent link is placed and verifies', async () => {
    const r = await transform({ html }, null, 'consent-request', { ...options, contactId: 'c_new' })
    expect(r.links.consent).toBeDefined()
    expect((await tokens.verify(r.links.consent!.split('/consent/')[1]!, { purpose: 'consent' })).contactId).toBe('c_new')
  })

  test('render() takes the id per recipient and equals transform()', async () => {
    const compiled = compile({ html }, { ...options, linkScope: 'scope1' })
    const rendered = await compiled.render(null, 'consent-request', { contactId: 'c_9' })
    expect((await tokens.verify(rendered.links.consent!.split('/consent/')[1]!, { purpose: 'consent' })).contactId).toBe('c_9')
  })

  test('a record always wins over the option', async () => {
    const r = await transform({ html }, { contactId: 'c_rec', opens: { status: 'unknown' }, clicks: { status: 'unknown' } }, 'consent-request', { ...options, contactId: 'c_other' })
    expect((await tokens.verify(r.links.consent!.split('/consent/')[1]!, { purpose: 'consent' })).contactId).toBe('c_rec')
  })
})
