// `npm ci` (install script): builds the libdeflate binding (native/inflate) with the node-gyp that npm ships.
// Optional: without libdeflate's headers (Debian: libdeflate-dev) or a compiler, it prints why and DEFLATE blocks
// inflate with Node's zlib instead (same output, about half the speed). Plain JS: it runs before tsx is usable.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const warn = (text) => process.stderr.write(`${text}\n`);

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'native', 'inflate');
const gyp =
  process.env.npm_config_node_gyp ??
  join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
if (!existsSync('/usr/include/libdeflate.h') && !existsSync('/usr/local/include/libdeflate.h')) {
  warn('skope: libdeflate headers not found (Debian: apt-get install libdeflate-dev); DEFLATE uses Node zlib');
  process.exit(0);
}
if (!existsSync(gyp)) {
  warn(`skope: node-gyp not found (${gyp}); DEFLATE uses Node zlib`);
  process.exit(0);
}
// Node's own headers (Debian's nodejs ships them under /usr/include/node): no header download from the network.
const prefix = join(dirname(process.execPath), '..');
const nodedir =
  process.env.npm_config_nodedir ?? (existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined);
const args = [gyp, 'rebuild', '--directory', dir, ...(nodedir !== undefined ? [`--nodedir=${nodedir}`] : [])];
const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
if (r.status !== 0) {
  warn(`skope: the libdeflate binding did not build; DEFLATE uses Node zlib\n${String(r.stderr).slice(-2000)}`);
  process.exit(0);
}
warn('skope: libdeflate binding built (native/inflate)');
