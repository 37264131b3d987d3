/**
 * Turns many single calls made in the same turn of the event loop into one
 * call with all their inputs: e.g. 200 event handlers each loading one row
 * become one `where id = any(...)` query. `run` must answer with one output
 * per input, in order; if it throws, every caller of that round gets the
 * error. Meant for one transaction's repository (the consumer's batches),
 * where the callers run side by side; a lone call just waits one tick.
 */
export function coalesce<I, O>(run: (inputs: I[]) => Promise<O[]>): (input: I) => Promise<O> {
  let waiting: Array<{ input: I; resolve: (output: O) => void; reject: (error: unknown) => void }> = [];
  const flush = () => {
    const round = waiting;
    waiting = [];
    run(round.map((w) => w.input)).then(
      (outputs) => {
        for (const [i, w] of round.entries()) w.resolve(outputs[i] as O);
      },
      (error: unknown) => {
        for (const w of round) w.reject(error);
      },
    );
  };
  return (input) =>
    new Promise<O>((resolve, reject) => {
      if (waiting.length === 0) setImmediate(flush);
      waiting.push({ input, resolve, reject });
    });
}
