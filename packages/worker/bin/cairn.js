#!/usr/bin/env node
// The `cairn` command. It runs the built CLI (dist/: plain Node, no TypeScript loader) when
// `pnpm build` made one that no source file is newer than; otherwise, in a checkout, the
// TypeScript sources through tsx, so a change runs without a build. CAIRN_CLI_FROM=dist or
// CAIRN_CLI_FROM=source overrides the choice. From dist/, tsx loads only when something TypeScript
// has to run: a `.ts` pipeline file or Lambda handler.
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { buildState } from './build-state.js';

function fail(message) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(2);
}

const from = process.env['CAIRN_CLI_FROM'] || 'auto';
if (!['auto', 'dist', 'source'].includes(from)) fail(`CAIRN_CLI_FROM is "${from}". To fix: set it to dist or source, or unset it (the newer of the two).`);
const hasSources = existsSync(new URL('../src/cli/main.ts', import.meta.url));
if (from === 'source' && !hasSources) fail('CAIRN_CLI_FROM=source, but this installation has no sources (only dist/). To fix: unset CAIRN_CLI_FROM.');
const state = from === 'source' ? undefined : buildState();
const useDist = from === 'dist' || state === 'built' || !hasSources;
if (useDist && state === 'missing') fail('the CLI is not built (no dist/). To fix: run `pnpm build` in the repository, or unset CAIRN_CLI_FROM to run the sources.');
if (state === 'stale' && from === 'auto' && process.stderr.isTTY) {
  process.stderr.write('cairn: the sources changed since `pnpm build`, so they run through tsx (slower start, more memory); `pnpm build` to use dist/ again.\n');
}

if (!useDist) {
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
  // @cairn/* resolve to their sources too (the "@cairn/source" export condition).
  register('./source-condition.js', import.meta.url);
}
const { main } = await import(useDist ? '../dist/cli/main.js' : '../src/cli/main.ts');
await main();
