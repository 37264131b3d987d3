interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Turns single writes into rounds (group commit): at most one `write` runs at
 * a time, and the items that arrive while it runs go together in the next
 * one. A lone item is written at once (after the current turn of the event
 * loop, so items that arrive together start together); under load each round
 * takes everything that finished during the last one, so the number of
 * statements follows the database's speed, not the number of items. Each
 * caller's promise settles with its own round: if a round's write throws,
 * exactly that round's callers get the error, and the next round is written
 * as usual.
 */
export function writeInRounds<T>(write: (items: T[]) => Promise<void>): (item: T) => Promise<void> {
  let waiting: Waiting<T>[] = [];
  let writing = false;

  async function writeAllRounds(): Promise<void> {
    while (waiting.length > 0) {
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
