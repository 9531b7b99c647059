// `node --import <this file> …` appends the URL of every module the ES module loader loads to the
// file named by $CAIRN_LOAD_LOG (see ../module-loads.ts).
import { register } from 'node:module';

register('./hook.mjs', import.meta.url, { data: { log: process.env['CAIRN_LOAD_LOG'] } });
