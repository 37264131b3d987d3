/** A sleep that ends early when poked (by a NOTIFY, or by stop). */
export class Wakeup {
  private pending: (() => void) | undefined;
  private poked = false;

  poke(): void {
    this.poked = true;
    this.pending?.();
  }

  async sleep(ms: number): Promise<void> {
    if (this.poked) {
      this.poked = false;
      return;
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
  }
}
