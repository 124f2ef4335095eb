/**
 * Locations the tests use: the task folder, the repository, and the Rust
 * binaries the suite script builds.
 */

import * as path from 'path';

/** `azure-task/`; the compiled tests live in `azure-task/test-build/`. */
export const AZURE_TASK_DIR = path.resolve(__dirname, '..');

/** The repository root. */
export const REPO_ROOT = path.resolve(AZURE_TASK_DIR, '..');

/** The task folder that the extension ships. */
export const TASK_DIR = path.join(AZURE_TASK_DIR, 'QualysAuthenticate');

/** The built task entry point that the agent runs. */
export const TASK_ENTRY = path.join(TASK_DIR, 'dist', 'index.js');

/** The registry login task folder that the extension ships. */
export const REGISTRY_TASK_DIR = path.join(AZURE_TASK_DIR, 'QualysRegistryLogin');

/** Its built entry point; dist/ mirrors azure-task/ (see its tsconfig.json). */
export const REGISTRY_TASK_ENTRY = path.join(REGISTRY_TASK_DIR, 'dist', 'QualysRegistryLogin', 'src', 'index.js');

/** A preload script (`node --require`) that records the task process's environment at exit. */
export const ENV_PROBE = path.join(__dirname, 'env-probe.js');

/** Cargo's target directory, as the suite script builds into it. */
const CARGO_TARGET = process.env['CARGO_TARGET_DIR'] ?? path.join(REPO_ROOT, 'target');

/** The gateway simulator binary. */
export const SIMULATOR_BIN =
    process.env['QUALYS_SIMULATOR_BIN'] ?? path.join(CARGO_TARGET, 'debug', 'qualys-gateway-simulator');

/** The command-line tool, used to read the core's POD table. */
export const CLI_BIN = process.env['QUALYS_CLI_BIN'] ?? path.join(CARGO_TARGET, 'debug', 'qualys-ci-auth');

/** The C header that the koffi declarations must match. */
export const HEADER_FILE = path.join(REPO_ROOT, 'include', 'qualys_ci_auth.h');
