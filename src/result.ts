/**
 * What an operation that can fail returns instead of throwing: `ok: true` with its value's
 * fields, or `ok: false` with the failure's fields (for configuration, `issues`). One shape
 * everywhere, so that callers narrow on `ok`.
 */
export type Result<Value extends object, Failure extends object> =
  | ({ ok: true } & Value)
  | ({ ok: false } & Failure);
