/**
 * A reader for the subset of the nats-server config format that deploy/
 * uses: maps `{}`, arrays `[]`, `key: value` / `key = value` / `key {...}`,
 * quoted and bare strings, numbers left as strings, `$VAR` references kept
 * as "$VAR", `#` and `//` comments, and `include file` resolved by a callback.
 * `nats-server -t` checks the full syntax; this is for asserting on meaning.
 */
export type NatsValue = string | NatsValue[] | { [key: string]: NatsValue };
export type NatsMap = { [key: string]: NatsValue };

export function parseNatsConf(text: string, include: (file: string) => string = noInclude): NatsMap {
  const p = new Parser(text, include);
  const map = p.mapBody("");
  return map;
}

function noInclude(file: string): string {
  throw new Error(`include ${file}: no include resolver given`);
}

class Parser {
  private i = 0;
  constructor(
    private readonly s: string,
    private readonly include: (file: string) => string,
  ) {}

  /** Entries until `end` ("}" or end of text), separated by newlines or commas. */
  mapBody(end: "" | "}"): NatsMap {
    const map: NatsMap = {};
    for (;;) {
      this.skip(true);
      if (this.i >= this.s.length || (end && this.s[this.i] === end)) {
        if (end) this.i++;
        else if (this.i < this.s.length) throw this.error("unexpected }");
        return map;
      }
      const key = this.word(/[A-Za-z0-9_.$-]/);
      this.skipInline();
      if (key === "include") {
        Object.assign(map, parseNatsConf(this.include(this.word(/[^\s]/).replace(/^["']|["']$/g, "")), this.include));
        continue;
      }
      if (this.s[this.i] === ":" || this.s[this.i] === "=") this.i++;
      map[key] = this.value();
    }
  }

  private value(): NatsValue {
    this.skip(false);
    const c = this.s[this.i];
    if (c === "{") {
      this.i++;
      return this.mapBody("}");
    }
    if (c === "[") {
      this.i++;
      const list: NatsValue[] = [];
      for (;;) {
        this.skip(true);
        if (this.s[this.i] === "]") {
          this.i++;
          return list;
        }
        if (this.i >= this.s.length) throw this.error("unclosed [");
        list.push(this.value());
      }
    }
    if (c === '"' || c === "'") {
      const close = this.s.indexOf(c, this.i + 1);
      if (close < 0) throw this.error("unclosed string");
      const text = this.s.slice(this.i + 1, close);
      this.i = close + 1;
      return text;
    }
    const bare = this.word(/[^\s,\]}#]/);
    if (!bare) throw this.error("value expected");
    return bare;
  }

  private word(allowed: RegExp): string {
    const start = this.i;
    while (this.i < this.s.length && allowed.test(this.s[this.i]!)) this.i++;
    return this.s.slice(start, this.i);
  }

  /** Whitespace and comments; newlines and commas too when they separate entries. */
  private skip(separators: boolean) {
    for (;;) {
      const c = this.s[this.i];
      if (c === "#" || (c === "/" && this.s[this.i + 1] === "/")) {
        while (this.i < this.s.length && this.s[this.i] !== "\n") this.i++;
      } else if (c === " " || c === "\t" || c === "\r" || c === "\n" || (separators && c === ",")) {
        this.i++;
      } else return;
    }
  }

  private skipInline() {
    while (this.s[this.i] === " " || this.s[this.i] === "\t") this.i++;
  }

  private error(message: string): Error {
    const line = this.s.slice(0, this.i).split("\n").length;
    return new Error(`nats config line ${line}: ${message}`);
  }
}

/**
 * Whether some subject matches both patterns (`*` one token, `>` one or
 * more trailing tokens): "may user X publish anything in auth.events.>?".
 */
export function subjectsOverlap(a: string, b: string): boolean {
  const x = a.split(".");
  const y = b.split(".");
  for (let i = 0; ; i++) {
    const s = x[i];
    const t = y[i];
    if (s === undefined || t === undefined) return s === t;
    if (s === ">" || t === ">") return true;
    if (s !== t && s !== "*" && t !== "*") return false;
  }
}
