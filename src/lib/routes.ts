import type { TokenPurpose } from '../tokens/types.js'
import { toWellFormed } from './unicode.js'

/**
 * Path segment of each token purpose under the handler's base path. The
 * rewriter builds links with it and the HTTP handler routes by it, so the
 * two can never disagree.
 */
export const ROUTE_SEGMENT: Readonly<Record<TokenPurpose, string>> = {
  open: 'o',
  click: 'c',
  withdraw: 'w',
  preferences: 'p',
  consent: 'consent',
  unsubscribe: 'u',
}

/** Query parameter carrying the click target. */
export const CLICK_TARGET_PARAM = 'u'
/** Query parameter carrying the click target's MAC. */
export const CLICK_MAC_PARAM = 'h'

/** Strips trailing slashes so `${base}/o/...` never doubles them. */
export function normalizeBaseUrl(baseUrl: string): string {
  let end = baseUrl.length
  while (end > 0 && baseUrl.charCodeAt(end - 1) === 47) end--
  return baseUrl.slice(0, end)
}

/** `{base}/{segment}/{token}` for a non-click purpose. */
export function personalUrl(base: string, purpose: TokenPurpose, token: string): string {
  return `${base}/${ROUTE_SEGMENT[purpose]}/${token}`
}

/**
 * The query-string tail of a click URL for one target: `?u=…&h=…`. Computed once per link per campaign.
 * A lone surrogate in the target (which `encodeURIComponent` refuses) is sent as U+FFFD, as a
 * browser's URL parser sends it; the MAC, over the target's UTF-8, already reads it so.
 */
export function clickQuery(url: string, mac: string): string {
  return `?${CLICK_TARGET_PARAM}=${encodeURIComponent(toWellFormed(url))}&${CLICK_MAC_PARAM}=${mac}`
}
