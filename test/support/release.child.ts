/**
 * `skope release …` in a child process without the rest of the CLI's imports (the server's dependency graph), so
 * a test can start many quickly: `node --import tsx test/support/release.child.ts build …`.
 */
import { runReleaseCommand } from '../../src/cli/release.js';

process.exitCode = await runReleaseCommand(
  process.argv.slice(2),
  {},
  { stdout: process.stdout, stderr: process.stderr },
);
