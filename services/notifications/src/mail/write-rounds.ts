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

/** The items a caller took from the next round to write in its own statement; it settles them with that statement's outcome. */
export interface TakenRound<T> {
  items: T[];
  written(): void;
  failed(error: unknown): void;
}

/** Queues an item for the next round (settles with it), or takes the waiting items to carry them in another statement. */
export type Rounds<T> = ((item: T) => Promise<void>) & { take(): TakenRound<T> };

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
 *
 * `take()` hands the waiting items to a statement that is being written
 * anyway (the sender's next claim carries its marks: one commit instead of
 * two). It counts as a round: the next round of its own waits out the
 * spacing from then, so while such statements come often enough the items
 * ride on them and no round of their own is written.
 */
export function writeInRounds<T>(write: (items: T[]) => Promise<void>, options: RoundOptions = {}): Rounds<T> {
  const spacingMs = options.spacingMs ?? 0;
  let waiting: Waiting<T>[] = [];
  let writing = false;
  let lastStart = Number.NEGATIVE_INFINITY;

  async function writeAllRounds(): Promise<void> {
    while (waiting.length > 0) {
      // A timer counts from the event loop's cached clock, so it can fire early by as long as a busy turn took: check again.
      for (let wait = lastStart + spacingMs - performance.now(); wait > 0; wait = lastStart + spacingMs - performance.now())
        await new Promise((resolve) => setTimeout(resolve, wait));
      // Taken meanwhile by another statement: nothing left for a round.
      if (waiting.length === 0) break;
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

  const add = (item: T) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      if (writing) return;
      writing = true;
      setImmediate(() => void writeAllRounds());
    });

  function take(): TakenRound<T> {
    const round = waiting;
    waiting = [];
    if (round.length > 0) lastStart = performance.now();
    return {
      items: round.map((w) => w.item),
      written: () => {
        for (const w of round) w.resolve();
      },
      failed: (error) => {
        for (const w of round) w.reject(error);
      },
    };
  }

  return Object.assign(add, { take });
}
