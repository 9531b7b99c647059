#!/usr/bin/env node
// Runs `pnpm build` unless every package's dist/ is newer than its sources, so what runs from
// dist/ (a benchmark's services) runs the current code. Build output goes to stderr.
// Usage: node scripts/build-if-stale.mjs
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildState } from '../packages/worker/bin/build-state.js';

const state = buildState();
if (state !== 'built') {
  process.stderr.write(`dist/ is ${state}: running pnpm build\n`);
  execFileSync('pnpm', ['build'], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', process.stderr, 'inherit'] });
}
