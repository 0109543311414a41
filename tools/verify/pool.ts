/**
 * Bounded concurrency: at most `concurrency` workers run at once; a slow item holds one slot and nothing else.
 * Results come back in input order; `onSettled` reports each as it finishes (completion order).
 */
export async function runPool<T, R>(
    items: readonly T[],
    concurrency: number,
    worker: (item: T, index: number) => Promise<R>,
    onSettled?: (result: R, index: number) => void,
): Promise<R[]> {
    if (!Number.isInteger(concurrency) || concurrency < 1)
        throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
    const results = new Array<R>(items.length);
    let next = 0;
    const lane = async (): Promise<void> => {
        while (next < items.length) {
            const index = next++;
            const result = await worker(items[index] as T, index);
            results[index] = result;
            onSettled?.(result, index);
        }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
    return results;
}
