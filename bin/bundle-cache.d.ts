/**
 * The path of an up-to-date esbuild bundle of `entry` (a TypeScript entry point relative to the project root),
 * built and cached if needed; undefined when none can be had (run the TypeScript through tsx instead).
 */
export function cachedBundle(entry: string): Promise<string | undefined>;
