// Signatures of machine fetchers: public observations of mailbox providers'
// image proxies and of link scanners. Best effort, kept as data so a sender
// can add its own (HandlerOptions.machineSignatures) without a release.
import type { MachineSignature } from '../types.js'

/**
 * Security scanners, link previewers, crawlers, headless browsers and bare
 * HTTP libraries. They fetch links to inspect them; none is a person.
 */
export const SCANNER_USER_AGENT = new RegExp(
  [
    // crawlers and previewers
    'bot\\b', 'crawler', 'spider', 'slurp', 'facebookexternalhit', 'whatsapp', 'slack', 'discord', 'telegram',
    'linkedin', 'embedly', 'bingpreview', 'skypeuripreview', 'preview',
    // headless and automated browsers
    'headlesschrome', 'phantomjs', 'puppeteer', 'playwright', 'selenium', 'webdriver',
    // HTTP libraries
    'python-requests', 'python-urllib', 'aiohttp', 'httpx', 'curl/', 'wget/', 'go-http-client', '^java/', 'okhttp',
    'apache-httpclient', 'libwww-perl', 'node-fetch', 'axios/', 'undici', '^got ', 'ahc/',
    // email security gateways and URL scanners
    'barracuda', 'mimecast', 'proofpoint', 'symantec', 'messagelabs', 'trend ?micro', 'fireeye', 'trellix', 'forcepoint',
    'sophos', 'zscaler', 'forti(?:net|guard)', 'check ?point', 'avanan', 'ironport', 'cisco', 'cloudmark', 'spamtitan',
    'agari', 'vadesecure', 'hornetsecurity', 'safe ?links', 'microsoft office existence discovery',
    'microsoft office protocol discovery', 'urlscan', 'virustotal',
  ].join('|'),
  'i',
)

/** The built-in signatures, in the order they are tried (first match wins). */
export const MACHINE_SIGNATURES: readonly MachineSignature[] = [
  // Gmail fetches every image through its proxy: "… (via ggpht.com GoogleImageProxy)".
  { kind: 'gmail-proxy', userAgent: /GoogleImageProxy|ggpht\.com/i },
  // "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html"
  { kind: 'yahoo-proxy', userAgent: /YahooMailProxy/i },
  { kind: 'scanner', userAgent: SCANNER_USER_AGENT },
  // Mail Privacy Protection prefetches with a bare "Mozilla/5.0", from Apple's network.
  { kind: 'apple-mpp', userAgent: /^Mozilla\/5\.0$/ },
  { kind: 'apple-mpp', ipRanges: ['17.0.0.0/8'] },
  // Microsoft 365 / Outlook.com mail infrastructure (Exchange Online Protection), which also hosts Safe Links checks.
  {
    kind: 'outlook-proxy',
    ipRanges: ['40.92.0.0/15', '40.107.0.0/16', '52.100.0.0/14', '104.47.0.0/17', '2a01:111:f400::/48', '2a01:111:f403::/48'],
  },
]
