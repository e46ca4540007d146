/**
 * The observer factory scenarios use, one implementation per file: `Observer.httpProbe()`,
 * `Observer.sqlCanary()`, `Observer.redisCanary()`.
 */
import { sqlCanary } from './canary-writer.ts';
import { httpProbe } from './http-probe.ts';
import type { Observer as ObserverSpec } from './observer.ts';
import { redisCanary } from './redis-canary.ts';
import { shipping } from './shipping.ts';

export type Observer = ObserverSpec;
export const Observer = { httpProbe, sqlCanary, redisCanary, shipping };

/** What a drill that declares no observers gets: the clients' probe and the database canary. */
export function defaultObservers(): Observer[] {
  return [httpProbe(), sqlCanary()];
}
