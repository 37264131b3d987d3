interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface RoundOptions {
  /**
   * A round starts at least this long after the previous one started. Each
   * round is a commit, and a commit costs the database about the same CPU
   * however many items it carries: under load the spacing caps the commits
   * per second (and makes the rounds bigger), while a lone item after a quiet
   * spell is still written at once. 0: the next round starts as soon as the
   * previous one ends.
   */
  spacingMs?: number;
}

/**
 * Turns single writes into rounds (group commit): at most one `write` runs at
 * a time, and the items that arrive while it runs (or while the next round
 * waits out `spacingMs`) go together in the next one. A lone item is written
 * at once (after the current turn of the event loop, so items that arrive
 * together start together); under load each round takes everything that
 * finished since the last one, so the number of statements follows the
 * database's speed and the spacing, not the number of items. Each caller's
 * promise settles with its own round: if a round's write throws, exactly
 * that round's callers get the error, and the next round is written as usual.
 */
export function writeInRounds<T>(write: (items: T[]) => Promise<void>, options: RoundOptions = {}): (item: T) => Promise<void> {
  const spacingMs = options.spacingMs ?? 0;
  let waiting: Waiting<T>[] = [];
  let writing = false;
  let lastStart = Number.NEGATIVE_INFINITY;

  async function writeAllRounds(): Promise<void> {
    while (waiting.length > 0) {
      // A timer counts from the event loop's cached clock, so it can fire early by as long as a busy turn took: check again.
      for (let wait = lastStart + spacingMs - performance.now(); wait > 0; wait = lastStart + spacingMs - performance.now())
        await new Promise((resolve) => setTimeout(resolve, wait));
      lastStart = performance.now();
      const round = waiting;
      waiting = [];
      try {
        await write(round.map((w) => w.item));
        for (const w of round) w.resolve();
      } catch (error) {
        for (const w of round) w.reject(error);
      }
    }
    writing = false;
  }

  return (item) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      if (writing) return;
      writing = true;
      setImmediate(() => void writeAllRounds());
    });
}
