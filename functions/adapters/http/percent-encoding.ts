/**
 * Decodes a percent-encoded URL component exactly once (`%2540` is `%40`, not `@`).
 *
 * @returns the decoded text, or `undefined` when the component is malformed: a `%` not followed by
 * two hex digits, or escapes that do not spell UTF-8. Never throws, so it is safe inside a schema.
 */
export function decodePercentEncoded(component: string): string | undefined {
  try {
    return decodeURIComponent(component);
  } catch {
    // decodeURIComponent throws URIError, and only that, for exactly the malformed cases above.
    return undefined;
  }
}
