/**
 * A single-quoted scalar's value as libyaml (DVC's reader, through ruamel) scans it, for the text
 * the `yaml` package reads otherwise: YAML 1.1 counts LS (U+2028) and PS (U+2029) as line breaks,
 * which a quoted scalar keeps while it drops the next line's indent; YAML 1.2, which the package
 * implements, reads them as text. Written by hand because no JavaScript YAML reader offers 1.1's
 * line breaks. NEL (U+0085), a 1.1 break read as "\n", is replaced before parsing (`loadYaml`).
 */

const BREAKS = '\r\n\u2028\u2029';
const BLANKS = ' \t';

/** The value of `source`, a whole single-quoted scalar (its quotes included) that the parser accepted. */
export function singleQuotedValue(source: string): string {
  let value = '';
  let i = 1;
  /** Consumes one line break: CR LF, CR and LF read as "\n", LS and PS as themselves. */
  const lineBreak = (): string => {
    const ch = source[i]!;
    if (ch === '\r' && source[i + 1] === '\n') i += 2;
    else i += 1;
    return ch === '\r' || ch === '\n' ? '\n' : ch;
  };
  for (;;) {
    for (;;) {
      const ch = source[i];
      if (ch === undefined) return value;
      if (ch === "'" && source[i + 1] === "'") {
        value += "'";
        i += 2;
      } else if (ch === "'" || BLANKS.includes(ch) || BREAKS.includes(ch)) break;
      else value += source[i++];
    }
    if (source[i] === "'") return value;
    const start = i;
    while (BLANKS.includes(source[i] ?? '\0')) i++;
    if (!BREAKS.includes(source[i] ?? '\0')) {
      value += source.slice(start, i);
      continue;
    }
    // Blanks before a break are dropped; the break folds to a space unless it is LS/PS or more follow.
    const first = lineBreak();
    let more = '';
    for (;;) {
      while (BLANKS.includes(source[i] ?? '\0')) i++;
      if (!BREAKS.includes(source[i] ?? '\0')) break;
      more += lineBreak();
    }
    if (first !== '\n') value += first;
    else if (more === '') value += ' ';
    value += more;
  }
}
