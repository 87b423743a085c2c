import { HttpError } from '../errors.js'
import type { DeviceClass, FetchClass, MachineKind, MachineSignature } from '../types.js'
import { MACHINE_SIGNATURES } from './machines.js'

/** A classification with how the machine was recognized. */
export interface Classified extends FetchClass {
  /** Which signal matched, when `machine` is true. IP matches are weaker (shared networks). */
  matchedBy?: 'user-agent' | 'ip' | 'no-user-agent'
}

type Range = { bits: number; words: Uint16Array }
type PreparedSignature = { kind: MachineKind; userAgent?: RegExp; ranges: Range[] }

/** Classifies fetches by user agent and client IP; signatures are validated once. */
export function createClassifier(extra: readonly MachineSignature[] = []): (userAgent: string, ip: string | undefined) => Classified {
  const signatures: PreparedSignature[] = [...extra, ...MACHINE_SIGNATURES].map((s, i) => {
    if (s.userAgent !== undefined && !(s.userAgent instanceof RegExp))
      throw new HttpError('invalid-option', `machineSignatures[${i}].userAgent must be a RegExp`)
    const ranges = (s.ipRanges ?? []).map((cidr) => {
      const range = parseCidr(cidr)
      if (!range) throw new HttpError('invalid-option', `machineSignatures[${i}]: ${JSON.stringify(cidr)} is not a CIDR range`)
      return range
    })
    return { kind: s.kind, userAgent: s.userAgent, ranges }
  })

  // Pixel and click hits repeat the same few agents and proxy addresses; the answer is a pure
  // function of the two, so recent ones are kept, by address then agent (no key string is built
  // per hit), at most RECENT_MAX in all: everything is dropped when full. Each address also
  // keeps the last agent seen there, compared as a string before its agent map is asked: a
  // request's agent is a new string, and hashing it costs more than comparing it.
  const recent = new Map<string | undefined, { byAgent: Map<string, Classified>; lastAgent: string | undefined; last: Classified | undefined }>()
  const RECENT_MAX = 1024
  let size = 0
  const classify = (userAgent: string, ip: string | undefined): Classified => {
    let at = recent.get(ip)
    if (at !== undefined && at.lastAgent === userAgent) return at.last!
    let seen = at?.byAgent.get(userAgent)
    if (seen === undefined) {
      seen = Object.freeze(classifyNow(userAgent, ip))
      if (size >= RECENT_MAX) {
        recent.clear()
        size = 0
        at = undefined
      }
      if (!at) recent.set(ip, (at = { byAgent: new Map(), lastAgent: undefined, last: undefined }))
      at.byAgent.set(userAgent, seen)
      size++
    }
    at!.lastAgent = userAgent
    at!.last = seen
    return seen
  }

  function classifyNow(userAgent: string, ip: string | undefined): Classified {
    const ua = userAgent.trim()
    if (ua === '') return { device: 'unknown', machine: true, machineKind: 'scanner', matchedBy: 'no-user-agent' }
    const address = ip === undefined ? undefined : parseIp(ip)
    for (const s of signatures) {
      let matchedBy: Classified['matchedBy']
      if (s.userAgent?.test(ua)) matchedBy = 'user-agent'
      else if (address && s.ranges.some((r) => inRange(address, r))) matchedBy = 'ip'
      if (matchedBy) return { device: machineDevice(s.kind), machine: true, machineKind: s.kind, matchedBy }
    }
    return { device: deviceOf(ua), machine: false }
  }
  return classify
}

function machineDevice(kind: MachineKind): DeviceClass {
  return kind === 'gmail-proxy' || kind === 'yahoo-proxy' || kind === 'outlook-proxy' ? 'webmail' : 'unknown'
}

const MOBILE = /Outlook-(?:iOS|Android)|iPhone|iPad|iPod|Android|Windows Phone|Mobile/i
const DESKTOP = /Thunderbird|Microsoft Outlook|MSOffice|ms-office|Macintosh|Windows NT|X11|Linux|CrOS/i
const BROWSER = /(?:Chrome|CriOS|Firefox|FxiOS|Edg|EdgiOS|OPR|SamsungBrowser)\/\d|Version\/[\d.]+ (?:Mobile\/\w+ )?Safari\//
// Mail apps render in web views or ship browser engines; their markers win over browser tokens.
const MAIL_APP = /; wv\)|Thunderbird|Outlook|MSOffice|ms-office/i

/** desktop/mobile = a mail app; webmail = a browser (a mailbox opened on the web). */
function deviceOf(ua: string): DeviceClass {
  const browser = BROWSER.test(ua) && !MAIL_APP.test(ua)
  if (MOBILE.test(ua)) return browser ? 'webmail' : 'mobile'
  if (DESKTOP.test(ua)) return browser ? 'webmail' : 'desktop'
  return 'unknown'
}

// IPv4 addresses are held as IPv4-mapped IPv6 (::ffff:a.b.c.d), so one matcher serves both.
function parseIp(text: string): Uint16Array | undefined {
  const s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text
  const v4 = parseIpv4(s)
  if (v4) return mapped(v4)
  return parseIpv6(s)
}

function parseIpv4(s: string): [number, number] | undefined {
  const parts = s.split('.')
  if (parts.length !== 4) return undefined
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : 256))
  if (bytes.some((b) => b > 255)) return undefined
  return [(bytes[0]! << 8) | bytes[1]!, (bytes[2]! << 8) | bytes[3]!]
}

function mapped([hi, lo]: [number, number]): Uint16Array {
  return Uint16Array.of(0, 0, 0, 0, 0, 0xffff, hi, lo)
}

function parseIpv6(s: string): Uint16Array | undefined {
  const zone = s.indexOf('%')
  const text = zone >= 0 ? s.slice(0, zone) : s
  if (!/^[0-9a-f:.]+$/i.test(text)) return undefined
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const groups = (h: string): number[] | undefined => {
    if (h === '') return []
    const out: number[] = []
    const parts = h.split(':')
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p)
        if (!v4) return undefined
        out.push(...v4)
      } else if (/^[0-9a-f]{1,4}$/i.test(p)) out.push(parseInt(p, 16))
      else return undefined
    }
    return out
  }
  const head = groups(halves[0]!)
  const tail = halves.length === 2 ? groups(halves[1]!) : []
  if (!head || !tail) return undefined
  const missing = 8 - head.length - tail.length
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined
  return Uint16Array.from([...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail])
}

function parseCidr(cidr: string): Range | undefined {
  if (typeof cidr !== 'string') return undefined
  const [addr, len, ...rest] = cidr.split('/')
  if (rest.length > 0 || addr === undefined || len === undefined || !/^\d{1,3}$/.test(len)) return undefined
  const v4 = parseIpv4(addr)
  const words = v4 ? mapped(v4) : parseIpv6(addr)
  const bits = Number(len) + (v4 ? 96 : 0)
  if (!words || bits > 128) return undefined
  return { bits, words }
}

function inRange(address: Uint16Array, range: Range): boolean {
  for (let i = 0, left = range.bits; left > 0; i++, left -= 16) {
    const mask = left >= 16 ? 0xffff : (0xffff << (16 - left)) & 0xffff
    if ((address[i]! & mask) !== (range.words[i]! & mask)) return false
  }
  return true
}
