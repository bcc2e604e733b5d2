import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_DIR } from './config-dir.js';

const PROVIDER = 'openfeature.contrib.provider.ofrep';

/** Where a Python test finds the OpenFeature SDK, or what it lacks. */
export type PythonSdkSetup = { pythonPath?: string } | { missing: string };

function imports(module: string, pythonPath?: string): boolean {
  const env = { ...process.env, ...(pythonPath ? { PYTHONPATH: pythonPath } : {}) };
  return spawnSync('python3', ['-c', `import ${module}`], { env }).status === 0;
}

/** `shared/vendor/python` in `start` or a directory above it. */
function vendorAbove(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, 'shared', 'vendor', 'python');
    if (existsSync(join(candidate, 'openfeature', 'contrib', 'provider', 'ofrep'))) {
      return candidate;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The checkout this one was cloned from, when it is a directory on this machine: a clone made
 * for a clean run (`git clone . /tmp/x`) sits away from `shared/`, its origin does not.
 */
function originDirectory(): string | undefined {
  const result = spawnSync('git', ['-C', REPO_DIR, 'config', '--get', 'remote.origin.url'], {
    encoding: 'utf8',
  });
  const url = result.status === 0 ? result.stdout.trim() : '';
  if (url.startsWith('file://')) return fileURLToPath(url);
  return isAbsolute(url) ? url : undefined;
}

/**
 * The official OpenFeature Python SDK and its OFREP provider: installed (`import openfeature`
 * works), else the unmodified copies in `shared/vendor/python/`, found by walking up from
 * `FLAGROUTE_PYTHON_VENDOR` if set, from the repository, then from the checkout it was cloned
 * from. Python's `requests` must be installed (Debian's python3-requests; .ci/run installs it).
 */
export function pythonSdkSetup(): PythonSdkSetup {
  if (spawnSync('python3', ['--version']).status !== 0) return { missing: 'python3 on PATH' };
  if (!imports('requests')) {
    return { missing: "Python's requests (Debian: python3-requests; .ci/run installs it)" };
  }
  if (imports(PROVIDER)) return {};
  const override = process.env.FLAGROUTE_PYTHON_VENDOR;
  const origin = originDirectory();
  const roots = [override, REPO_DIR, origin].filter((root) => root !== undefined);
  for (const root of roots) {
    const vendored = root === override ? root : vendorAbove(root);
    if (vendored !== undefined && imports(PROVIDER, vendored)) return { pythonPath: vendored };
  }
  return {
    missing:
      'the OpenFeature Python SDK (pip install openfeature-sdk openfeature-provider-ofrep, shared/vendor/python beside the checkout or its origin, or FLAGROUTE_PYTHON_VENDOR naming that directory)',
  };
}
