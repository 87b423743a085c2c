import addressparser from 'nodemailer/lib/addressparser'

/** The address fields Nodemailer turns into RCPT TO, in either of its two sources. */
const RECIPIENT_FIELDS = ['to', 'cc', 'bcc'] as const

function collect(value: unknown, into: Set<string>): void {
  if (value == null || value === false || value === '') return
  if (Array.isArray(value)) {
    for (const entry of value) collect(entry, into)
    return
  }
  if (typeof value === 'object') {
    collect((value as { address?: unknown }).address, into)
    return
  }
  if (typeof value !== 'string') return
  for (const parsed of addressparser(value, { flatten: true })) {
    // Case kept: Nodemailer delivers to "Ada@x" and "ada@x" separately, so they count as two.
    if (parsed.address) into.add(parsed.address.trim())
  }
}

/**
 * Distinct addresses a message will be delivered to: the `envelope`'s when
 * the caller set one (Nodemailer delivers to it instead of the headers),
 * otherwise to + cc + bcc. Groups count their members.
 */
export function countRecipients(mail: { to?: unknown; cc?: unknown; bcc?: unknown; envelope?: unknown }): number {
  const envelope = mail.envelope
  const source = envelope && typeof envelope === 'object' ? (envelope as Record<string, unknown>) : mail
  const addresses = new Set<string>()
  for (const field of RECIPIENT_FIELDS) collect((source as Record<string, unknown>)[field], addresses)
  return addresses.size
}
