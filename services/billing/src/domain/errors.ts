/** What billing refuses in a request: the field at fault and why (contact-rules.ts); answered `invalid_argument`. */
export class BillingError extends Error {
  override readonly name = "BillingError";
  readonly field: string;
  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.field = field;
  }
}

export const invalid = (field: string, problem: string): BillingError => new BillingError(field, problem);
