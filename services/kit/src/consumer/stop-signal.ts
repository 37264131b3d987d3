/** A stop flag whose sleeps end early when it is raised. */
export interface StopSignal {
  readonly stopped: boolean;
  trigger(): void;
  /** Resolves after `ms`, or at once when stopped. */
  sleep(ms: number): Promise<void>;
}

export function createStopSignal(): StopSignal {
  let stopped = false;
  const waiters = new Set<() => void>();
  return {
    get stopped() {
      return stopped;
    },
    trigger() {
      stopped = true;
      for (const wake of waiters) wake();
      waiters.clear();
    },
    sleep(ms) {
      if (stopped) return Promise.resolve();
      return new Promise((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, ms);
        waiters.add(wake);
      });
    },
  };
}

/** A level-free wake-up: `wait()` resolves at the next `wake()` (or at once if one came since the last wait). */
export function createWakeUp() {
  let pending = false;
  let waiter: (() => void) | undefined;
  return {
    wake() {
      if (waiter) {
        const w = waiter;
        waiter = undefined;
        w();
      } else pending = true;
    },
    wait(): Promise<void> {
      if (pending) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise((resolve) => (waiter = resolve));
    },
  };
}
