// A compiled email: each part located once, then one spliced variant per
// kind of output. compile() builds every variant up front; transform()
// builds only the one it needs, through the same code.
import type { NoTrackAttribute } from '../providers/attributes.js'
import type { TokenPurpose } from '../tokens/types.js'
import { TimeBudgetExceeded, type BudgetCheck } from './budget.js'
import { escapeAttribute } from './escape.js'
import type { Locale } from './fragments.js'
import { locate, type TemplateMap } from './locate.js'
import { planHtml, type PlanContext, type PlanSpec, type Removal } from './plan.js'
import { buildVariant, identityVariant, personalUrls, renderVariant, type Variant } from './splice.js'
import { planText } from './text.js'
import { verifyPlacement } from './verify.js'

/** Kinds of output a template can be rendered as. */
export type VariantKey = 'strip' | 'track:oc' | 'track:o' | 'track:c' | 'provider' | 'consent'

/** Every variant key, in the order compile() builds them. */
export const VARIANT_KEYS: readonly VariantKey[] = ['strip', 'track:oc', 'track:o', 'track:c', 'provider', 'consent']

/** The parts of an email the template rewrites. */
export interface TemplateParts {
  html?: string | undefined
  text?: string | undefined
  amp?: string | undefined
}

/** Settings fixed for the life of a compiled template. */
export interface TemplateSettings extends PlanContext {
  locale: Locale
  stamp: readonly NoTrackAttribute[]
  /** `data-tracking="unsubscribe"` markers get our unsubscribe URL. */
  unsubscribe: boolean
  /** MAC of one click target under this template's link scope. */
  linkMac: (url: string) => string
  /** Throws once the time budget is spent: checked around every parse. Default: no budget. */
  budget?: BudgetCheck
}

/** One variant of every part. */
export interface EmailVariant {
  key: VariantKey
  html?: Variant
  text?: Variant
  /** `null`: the AMP part is dropped from this variant. */
  amp?: Variant | null
  /** Tokens the pieces may use. */
  purposes: TokenPurpose[]
  removed: Removal[]
  warnings: string[]
  /** Set when the variant must not be used (e.g. `error:withdraw-unplaceable`); the caller falls back to `strip`. */
  failure?: string
}

const STAND_IN: Record<TokenPurpose, string> = {
  open: 'verify-open',
  click: 'verify-click',
  withdraw: 'verify-withdraw',
  preferences: 'verify-preferences',
  consent: 'verify-consent',
  unsubscribe: 'verify-unsubscribe',
}

interface PartState {
  source: string
  map?: TemplateMap
  error?: unknown
}

/** A template compiled once; {@link CompiledTemplate.variant} is memoized. */
export class CompiledTemplate {
  readonly settings: TemplateSettings
  private readonly html: PartState | undefined
  private readonly amp: PartState | undefined
  private readonly text: string | undefined
  private readonly variants = new Map<VariantKey, EmailVariant>()
  private readonly checks = new Map<string, { pixel: boolean; links: boolean }>()

  constructor(parts: TemplateParts, settings: TemplateSettings) {
    this.settings = settings
    this.html = parts.html !== undefined ? parse(parts.html, settings.budget) : undefined
    this.amp = parts.amp !== undefined ? parse(parts.amp, settings.budget) : undefined
    this.text = parts.text
  }

  /** Builds (once) and returns the variant for `key`. Never throws. */
  variant(key: VariantKey): EmailVariant {
    let v = this.variants.get(key)
    if (v === undefined) {
      try {
        v = this.build(key)
      } catch (cause) {
        v = { key, purposes: [], removed: [], warnings: [], failure: cause instanceof TimeBudgetExceeded ? 'error:time-budget' : `error:rewrite:${errorName(cause)}` }
      }
      this.variants.set(key, v)
    }
    return v
  }

  private spec(key: VariantKey, amp: boolean): PlanSpec {
    const s = this.settings
    const base = { amp, locale: s.locale, stamp: amp ? [] : s.stamp, preferences: true, unsubscribe: s.unsubscribe }
    switch (key) {
      case 'strip':
        return { ...base, pixel: false, wrapClicks: false, withdraw: false, consent: false }
      case 'track:oc':
      case 'track:o':
      case 'track:c':
        return { ...base, pixel: key !== 'track:c', wrapClicks: key !== 'track:o', withdraw: true, consent: false }
      case 'provider':
        return { ...base, pixel: false, wrapClicks: false, withdraw: true, consent: false }
      case 'consent':
        return { ...base, pixel: false, wrapClicks: false, withdraw: false, consent: true }
    }
  }

  private build(key: VariantKey): EmailVariant {
    // The untracked variant is always built (it is the fallback); any other only while the budget lasts.
    if (key !== 'strip') this.settings.budget?.()
    const out: EmailVariant = { key, purposes: [], removed: [], warnings: [] }
    const warn = (w: string) => {
      if (!out.warnings.includes(w)) out.warnings.push(w)
    }
    const spec = this.spec(key, false)
    if (this.html !== undefined) {
      const part = this.html
      if (part.map === undefined) {
        // The parser itself failed (or ran out of time): nothing can be located, so nothing can be added or removed safely.
        const overtime = part.error instanceof TimeBudgetExceeded
        if (key !== 'strip') return { ...out, failure: overtime ? 'error:time-budget' : 'error:parse' }
        out.html = identityVariant(part.source)
        warn(overtime ? 'error:time-budget' : `error:parse:${errorName(part.error)}`)
      } else {
        let htmlSpec = spec
        if (spec.pixel || spec.withdraw) {
          const check = this.check('tracked', part.map, false)
          if (spec.withdraw && !check.links) return { ...out, failure: 'error:withdraw-unplaceable' }
          if (spec.pixel && !check.pixel) {
            htmlSpec = { ...spec, pixel: false }
            warn('pixel-unplaceable')
          }
        }
        if (spec.consent && !this.check('consent', part.map, false).links) {
          htmlSpec = { ...htmlSpec, consent: false }
          warn('consent-link-unplaceable')
        }
        out.html = this.variantOf(part.map, htmlSpec)
      }
    } else if (spec.pixel) warn('no-html:pixel-skipped')
    if (this.text !== undefined) {
      out.text = buildVariant(this.text, planText(this.text, { withdraw: spec.withdraw, consent: spec.consent, locale: spec.locale }, this.settings), {
        html: false,
        linkMac: this.settings.linkMac,
      })
    }
    if (spec.withdraw && out.html === undefined && out.text === undefined) return { ...out, failure: 'error:withdraw-unplaceable' }
    if (this.amp !== undefined) out.amp = this.ampVariant(key, warn)
    for (const part of [out.html, out.text, out.amp]) {
      if (!part) continue
      for (const p of part.purposes) if (!out.purposes.includes(p)) out.purposes.push(p)
      // A loop, not push(...): a spread of some 100,000 removals overflows the call stack.
      for (const r of part.removed) out.removed.push(r)
      for (const w of part.warnings) warn(w)
    }
    return out
  }

  private ampVariant(key: VariantKey, warn: (w: string) => void): Variant | null {
    const part = this.amp!
    if (part.map === undefined) {
      warn('amp-dropped:parse')
      return null
    }
    try {
      const spec = this.spec(key, true)
      if ((spec.withdraw || spec.consent) && !this.check(spec.withdraw ? 'tracked' : 'consent', part.map, true).links) {
        warn(`amp-dropped:${spec.withdraw ? 'withdraw' : 'consent'}-unplaceable`)
        return null
      }
      return this.variantOf(part.map, spec)
    } catch (cause) {
      warn(`amp-dropped:error:${errorName(cause)}`)
      return null
    }
  }

  private variantOf(map: TemplateMap, spec: PlanSpec): Variant {
    return buildVariant(map.source, planHtml(map, spec, this.settings), { html: true, linkMac: this.settings.linkMac })
  }

  // Renders a stand-in of the variant and parses it: does a mail client see our pixel and link?
  private check(kind: 'tracked' | 'consent', map: TemplateMap, amp: boolean): { pixel: boolean; links: boolean } {
    const id = `${kind}:${amp}`
    let found = this.checks.get(id)
    if (found === undefined) {
      const spec = this.spec(kind === 'tracked' ? 'track:o' : 'consent', amp)
      const variant = this.variantOf(map, { ...spec, wrapClicks: false })
      const base = this.settings.base
      const raw = personalUrls(base, STAND_IN, false)
      const output = renderVariant(variant, personalUrls(escapeAttribute(base), STAND_IN, true))
      const link = kind === 'tracked' ? raw.withdraw! : raw.consent!
      this.settings.budget?.()
      found = verifyPlacement(output, { ...(spec.pixel ? { pixel: raw.open! } : {}), links: [link] })
      this.settings.budget?.()
      this.checks.set(id, found)
    }
    return found
  }
}

function parse(source: string, budget: BudgetCheck | undefined): PartState {
  try {
    return { source, map: locate(source, budget) }
  } catch (error) {
    return { source, error }
  }
}

function errorName(cause: unknown): string {
  return cause instanceof Error ? cause.name : 'unknown'
}
