/**
 * Preloaded into a task process with `node --require` when a test asks for
 * it: writes the process environment, as the process leaves it, to the file
 * named by QCA_TEST_ENV_PROBE_FILE. A test reads the file to check that the
 * task put no secret into its environment, where child processes and
 * /proc/<pid>/environ would see it, and then deletes the file.
 */

import * as fs from 'fs';

const file = process.env['QCA_TEST_ENV_PROBE_FILE'];
if (file !== undefined && file.length > 0) {
    process.on('exit', () => {
        fs.writeFileSync(file, JSON.stringify(process.env), { mode: 0o600 });
    });
}
