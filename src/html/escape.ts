// Escaping for values we write into the original markup.

const ATTRIBUTE_SPECIAL = /["&'<>]/

/** Escapes `&`, quotes and angle brackets for any attribute-value context (double-, single- or re-quoted). */
export function escapeAttribute(value: string): string {
  if (!ATTRIBUTE_SPECIAL.test(value)) return value
  return value.replace(/[&"'<>]/g, (c) => (c === '&' ? '&amp;' : c === '"' ? '&quot;' : c === "'" ? '&#39;' : c === '<' ? '&lt;' : '&gt;'))
}

/** Escapes text content. */
export function escapeText(value: string): string {
  return value.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'))
}

// Template languages whose placeholders an ESP substitutes after we run: a URL holding one cannot be MAC-bound or percent-encoded.
const MERGE_TAG = /\{\{|\{%|\*\||\|\*|%%|\[\[|<%|\$\{|\{\$|\{[A-Za-z_][\w.]*\}|%[A-Z][A-Z_]{2,}%|\[[A-Z][A-Za-z_]*\]/

/** Whether a URL contains template syntax (`{{ }}`, `*|UNSUB|*`, `{unsubscribe_url}`, Liquid/Twig, `<% %>`, `[Sender_*]`…). */
export function hasMergeTag(url: string): boolean {
  return MERGE_TAG.test(url)
}
