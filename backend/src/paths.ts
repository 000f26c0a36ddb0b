import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the folder holding backend/, widget/, prisma/, demo-site/). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
