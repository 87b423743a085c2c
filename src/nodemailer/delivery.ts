/** The headers the plugin may set that RFC 8058 needs covered by the DKIM signature. */
export const LIST_UNSUBSCRIBE_HEADERS = ['List-Unsubscribe', 'List-Unsubscribe-Post'] as const

/**
 * The header list Nodemailer signs when none is configured (RFC 4871 §5.5
 * plus the List-* family), with List-Unsubscribe-Post, which Nodemailer 6
 * lacked and RFC 8058 requires to be signed.
 */
const DEFAULT_SIGNED_HEADERS =
  'From:Sender:Reply-To:Subject:Date:Message-ID:To:Cc:MIME-Version:Content-Type:Content-Transfer-Encoding:' +
  'Content-ID:Content-Description:Resent-Date:Resent-From:Resent-Sender:Resent-To:Resent-Cc:Resent-Message-ID:' +
  'In-Reply-To:References:List-Id:List-Help:List-Unsubscribe:List-Unsubscribe-Post:List-Subscribe:List-Post:' +
  'List-Owner:List-Archive:OTP-Token'

/** The DKIM option fields this module reads; the rest (keys, cache settings) is carried over untouched. */
interface DkimOptions {
  headerFieldNames?: string
  skipFields?: string
  [key: string]: unknown
}

const SECRET_FIELDS = ['privateKey', 'keys'] as const

function fieldList(value: unknown): string[] {
  return typeof value === 'string' ? value.split(':').map((f) => f.trim()).filter(Boolean) : []
}

function withFields(list: string[], names: readonly string[]): string[] {
  const present = new Set(list.map((f) => f.toLowerCase()))
  return [...list, ...names.filter((n) => !present.has(n.toLowerCase()))]
}

function withoutFields(list: string[], names: readonly string[]): string[] {
  const drop = new Set(names.map((n) => n.toLowerCase()))
  return list.filter((f) => !drop.has(f.toLowerCase()))
}

function covers(options: DkimOptions, names: readonly string[]): boolean {
  const signed = new Set(fieldList(options.headerFieldNames).map((f) => f.toLowerCase()))
  const skipped = new Set(fieldList(options.skipFields).map((f) => f.toLowerCase()))
  return names.every((n) => signed.has(n.toLowerCase()) && !skipped.has(n.toLowerCase()))
}

/**
 * Makes the DKIM signature of this message cover `names` (the List-Unsubscribe
 * headers the plugin set), whether DKIM is configured per message
 * (`mail.data.dkim`) or on the transporter. Never mutates a caller's object,
 * and never copies the transporter's private key into enumerable message data.
 */
export function signHeaders(data: Record<string, unknown>, transporterDkim: DkimOptions | undefined, names: readonly string[]): void {
  if (names.length === 0) return
  const own = data.dkim && typeof data.dkim === 'object' ? (data.dkim as DkimOptions) : undefined
  const config = own ?? transporterDkim
  if (!config) return
  const fields = withFields(config.headerFieldNames === undefined ? fieldList(DEFAULT_SIGNED_HEADERS) : fieldList(config.headerFieldNames), names)
  const skip = withoutFields(fieldList(config.skipFields), names)
  const amended = { headerFieldNames: fields.join(':'), ...(config.skipFields === undefined ? {} : { skipFields: skip.join(':') }) }
  if (own) {
    if (!covers(own, names)) data.dkim = { ...own, ...amended }
    return
  }
  // Transporter-level signer: its own options win over `_dkim`, so `_dkim` only helps when it set no list.
  if (config.headerFieldNames === undefined && !fieldList(config.skipFields).some((f) => names.some((n) => n.toLowerCase() === f.toLowerCase()))) {
    const extra = data._dkim && typeof data._dkim === 'object' ? (data._dkim as DkimOptions) : {}
    const extraSkip = withoutFields(fieldList(extra.skipFields), names)
    data._dkim = { ...extra, headerFieldNames: fields.join(':'), ...(extra.skipFields === undefined ? {} : { skipFields: extraSkip.join(':') }) }
    return
  }
  if (covers(config, names)) return
  // Signer per message with the transporter's keys kept out of anything that serializes mail.data.
  const copy: DkimOptions = {}
  for (const [key, value] of Object.entries(config)) {
    if ((SECRET_FIELDS as readonly string[]).includes(key)) Object.defineProperty(copy, key, { value, enumerable: false })
    else copy[key] = value
  }
  Object.assign(copy, amended)
  data.dkim = copy
}

/**
 * Mirrors the `X-SES-CONFIGURATION-SET` header the rewrite chose (from the
 * `ses` transform option) into `ConfigurationSetName` for Nodemailer's SES
 * API transport, on a copy of the caller's `ses` options, which are kept.
 */
export function selectConfigurationSet(data: Record<string, unknown>, headers: Record<string, string>): void {
  const name = Object.entries(headers).find(([k]) => k.toLowerCase() === 'x-ses-configuration-set')?.[1]
  if (!name) return
  const ses = data.ses && typeof data.ses === 'object' ? (data.ses as Record<string, unknown>) : {}
  if (ses.ConfigurationSetName !== name) data.ses = { ...ses, ConfigurationSetName: name }
}
