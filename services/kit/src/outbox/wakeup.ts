/** A sleep that ends early when poked (by a NOTIFY, or by stop). */
export class Wakeup {
  private pending: (() => void) | undefined;
  private poked = false;

  poke(): void {
    this.poked = true;
    this.pending?.();
  }

  /** Resolves true at once if poked since the last sleep (work arrived while busy), else false after the wait or the next poke. */
  async sleep(ms: number): Promise<boolean> {
    if (this.poked) {
      this.poked = false;
      return true;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.pending = done;
    });
    this.pending = undefined;
    this.poked = false;
    return false;
  }
}
