import { join } from 'node:path';

/** The project root: where `node --import tsx <entry>` resolves imports from, and where fixtures live. */
export const PROJECT_ROOT = join(import.meta.dirname, '..', '..', '..');
