/** Parsing untrusted JSON text: every way it can be wrong is an answer, never an exception. */

export type JsonTextResult =
  | { ok: true; value: unknown }
  | {
      ok: false;
      /** Where in the document the problem is: empty for the text as a whole. */
      path: (string | number)[];
      message: string;
    };

/**
 * Parses a request body. Text that is not JSON is refused, and so is JSON holding a string (a value
 * or a key) that is not valid Unicode: a lone surrogate escape such as `"\ud800"` parses, but no
 * database, document or email can store it faithfully.
 */
export function parseJsonText(text: string): JsonTextResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse throws SyntaxError, and only that, for text that is not JSON.
    return { ok: false, path: [], message: 'The body is not valid JSON.' };
  }
  const illFormed = illFormedTextPath(value);
  if (illFormed !== undefined) return { ok: false, path: illFormed, message: 'The text is not valid Unicode.' };
  return { ok: true, value };
}

/**
 * The path of the first string (a value, or a key: then its object's path) of a parsed JSON document
 * that is not well-formed UTF-16, or `undefined`. Iterative, since a body may nest a million levels deep.
 */
export function illFormedTextPath(json: unknown): (string | number)[] | undefined {
  type Node = { value: unknown; key?: string | number; parent?: Node };
  const pathOf = (node: Node) => {
    const path: (string | number)[] = [];
    for (let at: Node | undefined = node; at?.key !== undefined; at = at.parent) path.push(at.key);
    return path.reverse();
  };
  const pending: Node[] = [{ value: json }];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    const { value } = node;
    if (typeof value === 'string' && !value.isWellFormed()) return pathOf(node);
    if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) pending.push({ value: item, key: index, parent: node });
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) {
        if (!key.isWellFormed()) return pathOf(node);
        pending.push({ value: item, key, parent: node });
      }
    }
  }
  return undefined;
}
