/** Work to undo after the current test: closing routers, removing temp dirs. */
const pending: (() => Promise<unknown>)[] = [];

/** Runs `task` once the current test ends (latest registered first). */
export function onTestEnd(task: () => Promise<unknown>): void {
  pending.push(task);
}

/** Runs and forgets every registered task; `test/helpers/setup.ts` calls it after each test. */
export async function runTestCleanup(): Promise<void> {
  while (pending.length > 0) await pending.pop()!();
}
