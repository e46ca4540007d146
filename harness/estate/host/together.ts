/**
 * Start independent parts of an estate at once, and wait for every one of them to finish before going on, also
 * when one fails: a part still starting when another failed would otherwise register its undo after teardown
 * began, and be left behind. The first failure (in argument order) is then thrown.
 */
export async function together<T extends readonly unknown[]>(
  ...parts: { [K in keyof T]: Promise<T[K]> }
): Promise<T> {
  const settled = await Promise.allSettled(parts);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
