/**
 * Loaded by mocha before the tests. Some tests import task modules, and
 * azure-pipelines-task-lib writes a `.taskkey` file into `Agent.TempDirectory`
 * (or the working directory) when it loads: point it at a temporary
 * directory that is removed when the test process exits.
 */

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'qualys-mocha-'));
process.env['AGENT_TEMPDIRECTORY'] = directory;
process.on('exit', () => fs.rmSync(directory, { recursive: true, force: true }));
