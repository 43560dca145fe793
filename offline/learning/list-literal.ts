/**
 * Prompts stored as a list literal: RouterBench writes `['Write a function …']` (Python `repr` of a list
 * of turns), other tools write JSON arrays or arrays of `{ role, content }` messages. Pure.
 */

/**
 * The items of `text` when the whole cell is a list of strings (Python or JSON quoting) or of message
 * objects with a `content` string; `undefined` when it is anything else (then it is a plain prompt).
 */
export function unwrapListLiteral(text: string): string[] | undefined {
  const s = text.trim();
  if (s.length < 4 || s[0] !== '[' || s[s.length - 1] !== ']') return undefined;
  if (s[1] === '{' || /^\[\s*\{/.test(s)) {
    try {
      const v = JSON.parse(s) as unknown;
      if (Array.isArray(v) && v.length && v.every((m) => m && typeof m === 'object' && typeof (m as { content?: unknown }).content === 'string')) return v.map((m) => (m as { content: string }).content);
    } catch {
      return undefined;
    }
    return undefined;
  }
  const items: string[] = [];
  let i = 1;
  const skipSpace = () => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  for (;;) {
    skipSpace();
    const q = s[i];
    if (q !== "'" && q !== '"') return undefined;
    i++;
    let out = '';
    for (;;) {
      if (i >= s.length) return undefined;
      const ch = s[i]!;
      if (ch === q) {
        i++;
        break;
      }
      if (ch === '\\') {
        const e = s[i + 1];
        i += 2;
        if (e === undefined) return undefined;
        if (e === 'n') out += '\n';
        else if (e === 't') out += '\t';
        else if (e === 'r') out += '\r';
        else if (e === '0') out += '\0';
        else if (e === 'x' || e === 'u' || e === 'U') {
          const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
          const hex = s.slice(i, i + len);
          if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) return undefined;
          out += String.fromCodePoint(parseInt(hex, 16));
          i += len;
        } else if (e === '\n') {
          // line continuation
        } else out += e; // \\ \' \" and unknown escapes keep the character
        continue;
      }
      out += ch;
      i++;
    }
    items.push(out);
    skipSpace();
    if (s[i] === ',') {
      i++;
      skipSpace();
      if (s[i] === ']' && i === s.length - 1) break;
      continue;
    }
    if (s[i] === ']' && i === s.length - 1) break;
    return undefined;
  }
  return items.length ? items : undefined;
}
