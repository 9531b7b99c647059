#!/usr/bin/env node
// The `cairn` command: registers tsx so TypeScript sources and `.ts` pipelines load without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main();
