// Calendar days in the policy's time zone: the rules speak of days ("2026-07-14
// inclusive"), not instants, and CNIL days are Paris days.

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
    formatters.set(timeZone, f)
  }
  return f
}

// Recent answers per time zone, by whole second: UTC offsets are whole seconds
// (even historical local mean time), so a day never changes inside one. A
// busy endpoint asks for "today" thousands of times a second, and Intl
// formatting costs more than the rest of a decision.
const recent = new Map<string, Map<number, string>>()
const RECENT_MAX = 64

/** The calendar day (YYYY-MM-DD) of an instant in a time zone. */
export function dayOf(instant: Date, timeZone: string): string {
  const second = Math.floor(instant.getTime() / 1000)
  let days = recent.get(timeZone)
  const known = days?.get(second)
  if (known !== undefined) return known
  const day = formatter(timeZone).format(instant)
  if (!days) recent.set(timeZone, (days = new Map()))
  else if (days.size >= RECENT_MAX) days.clear()
  days.set(second, day)
  return day
}

/** Whether a time zone name is known to this runtime. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone)
    return true
  } catch {
    return false
  }
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/

/** Whether `text` is a real calendar day written YYYY-MM-DD. */
export function isDay(text: string): boolean {
  const m = DAY.exec(text)
  if (!m) return false
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])))
  return d.toISOString().slice(0, 10) === text
}

/** Adds calendar months to a YYYY-MM-DD day, clamping to the month's last day (Aug 31 + 6 months = Feb 28/29). */
export function addMonths(day: string, months: number): string {
  const m = DAY.exec(day)!
  const year = Number(m[1])
  const month = Number(m[2]) - 1 + months
  const target = new Date(Date.UTC(year, month, 1))
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate()
  target.setUTCDate(Math.min(Number(m[3]), lastDay))
  return target.toISOString().slice(0, 10)
}
