/* global process */
// Loaded with `node --import`: records every file module the process resolves into $SKOPE_MODULE_TRACE, so the
// smoke test can tell which code ran (dist/ or src/ through tsx).
import { register } from 'node:module';

const log = process.env['SKOPE_MODULE_TRACE'];
if (log) register('./module.trace.hooks.mjs', import.meta.url, { data: { log } });
