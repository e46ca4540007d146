/**
 * Drill tests that run a drill or an estate inside the test process (`runDrill`, `provisionEstate`) make that
 * process a harness with an entry in the machine's registry of runs, as the CLI is. The CLI removes its entry
 * when it has kept nothing; this does the same for the test process once a file's tests are done (each test
 * checks its own leftovers first), so the suite leaves no registry file behind.
 */
import { afterAll } from 'vitest';
import { forgetOwn } from '../harness/estate/host/registry.ts';

afterAll(() => forgetOwn());
