// An address anywhere in an id (raw or percent-encoded) would put personal data in URLs and logs.
const EMAIL_LIKE = /[^\s@<>()[\]\\,;:"]+(@|%40)[^\s@<>()[\]\\,;:"]+\.[a-z]{2,}/i

/** Whether `value` contains something shaped like an email address. */
export function looksLikeEmail(value: string): boolean {
  return EMAIL_LIKE.test(value)
}
