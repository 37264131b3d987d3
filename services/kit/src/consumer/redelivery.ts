/** The delay before redelivering a message that failed at its `deliveryCount`-th delivery: the list's entry, the last one repeating. */
export function redeliveryDelayMs(backoffMs: readonly number[], deliveryCount: number): number {
  return backoffMs[Math.min(deliveryCount - 1, backoffMs.length - 1)] ?? 1_000;
}
