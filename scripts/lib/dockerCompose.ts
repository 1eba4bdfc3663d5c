/**
 * Finding (or installing) a Docker Compose to validate the compose file with, and reading
 * its normalised `config` output. No Docker engine is needed for any of this.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { aptInstall, canAptInstall, succeeds } from './apt.js';

const execFileAsync = promisify(execFile);

/** A command to run compose with: `['docker-compose']` or `['docker', 'compose']`. */
export type ComposeCommand = string[];

/** The compose command available here, or null if there is none. */
export async function findDockerCompose(): Promise<ComposeCommand | null> {
  for (const candidate of [['docker-compose'], ['docker', 'compose']]) {
    if (await succeeds([...candidate, 'version'])) return candidate;
  }
  return null;
}

const INSTALL_HINT =
  "Install Docker Compose: Debian's `docker-compose` package " +
  '(`sudo apt-get install docker-compose`) or the Compose v2 plugin ' +
  "(`docker-compose-plugin` from Docker's apt repository), so that `docker-compose version` " +
  'or `docker compose version` works.';

/**
 * The compose command, installing Debian's `docker-compose` when there is none and this
 * process may (root, with apt-get). Throws with what to install otherwise.
 */
export async function ensureDockerCompose(log: (msg: string) => void): Promise<ComposeCommand> {
  const found = await findDockerCompose();
  if (found) return found;

  if (!(await canAptInstall())) throw new Error(`No Docker Compose found. ${INSTALL_HINT}`);
  log('Docker Compose not found');
  await aptInstall('docker-compose', log);

  const installed = await findDockerCompose();
  if (!installed) throw new Error(`docker-compose was installed but does not run. ${INSTALL_HINT}`);
  log(`Using ${installed.join(' ')}.`);
  return installed;
}

export interface ComposeRunOptions {
  cwd?: string;
  /** The environment compose interpolates `${VAR:-default}` from (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Replaces the project's `.env` file (both v1 and v2 accept `--env-file`). */
  envFile?: string;
}

export interface ComposeResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `<compose> [--env-file F] ...args` and reports its exit code and output. */
export async function runCompose(
  compose: ComposeCommand,
  args: string[],
  options: ComposeRunOptions = {},
): Promise<ComposeResult> {
  const [cmd, ...pre] = compose;
  if (!cmd) throw new Error('empty compose command');
  const fullArgs = [...pre, ...(options.envFile ? ['--env-file', options.envFile] : []), ...args];
  try {
    const { stdout, stderr } = await execFileAsync(cmd, fullArgs, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string; message: string };
    // A number is the exit status; a string (ENOENT, …) means it never ran.
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
  }
}

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

/**
 * The normalised configuration (`config`): JSON where compose supports `--format json`
 * (v2), otherwise its YAML output, read with {@link parseYaml}.
 */
export async function readComposeConfig(
  compose: ComposeCommand,
  file: string,
  options: ComposeRunOptions = {},
): Promise<{ [key: string]: YamlValue }> {
  const json = await runCompose(compose, ['-f', file, 'config', '--format', 'json'], options);
  if (json.code === 0) {
    try {
      return JSON.parse(json.stdout) as { [key: string]: YamlValue };
    } catch {
      // Not JSON after all: fall through to the YAML output.
    }
  }
  const yaml = await runCompose(compose, ['-f', file, 'config'], options);
  if (yaml.code !== 0) {
    throw new Error(`${compose.join(' ')} config exited ${yaml.code}:\n${yaml.stderr}`);
  }
  const parsed = parseYaml(yaml.stdout);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`${compose.join(' ')} config did not print a mapping`);
  }
  return parsed;
}

// ---------------------------------------------------------------------------------------
// A reader for the block-style YAML that `docker-compose config` prints (PyYAML for v1,
// Go yaml for v2): block mappings and sequences (indented or not), plain, quoted and block
// scalars folded over several lines, and the empty flow collections `{}` and `[]`. There is
// no YAML package in the project, and this output never uses anchors, tags or flow content.
// ---------------------------------------------------------------------------------------

interface Cursor {
  lines: string[];
  i: number;
}

const indentOf = (line: string) => line.length - line.trimStart().length;
const isBlank = (line: string) => line.trim() === '' || line.trimStart().startsWith('#');

function skipBlank(c: Cursor): void {
  while (c.i < c.lines.length && isBlank(c.lines[c.i]!)) c.i++;
}

const isSeqItem = (text: string) => text === '-' || text.startsWith('- ');

/** Parses the YAML subset described above; throws on anything outside it. */
export function parseYaml(text: string): YamlValue {
  const c: Cursor = { lines: text.replace(/\r\n?/g, '\n').split('\n'), i: 0 };
  skipBlank(c);
  if (c.lines[c.i]?.trim() === '---') c.i++;
  const value = parseNode(c, 0);
  skipBlank(c);
  if (c.i < c.lines.length && c.lines[c.i]!.trim() !== '...') {
    throw new Error(`YAML: unexpected content at line ${c.i + 1}: ${c.lines[c.i]}`);
  }
  return value;
}

/** A block node whose lines are indented at least `minIndent`. */
function parseNode(c: Cursor, minIndent: number): YamlValue {
  skipBlank(c);
  const line = c.lines[c.i];
  if (line === undefined || indentOf(line) < minIndent) return null;
  const indent = indentOf(line);
  return isSeqItem(line.trim()) ? parseSeq(c, indent) : parseMap(c, indent);
}

function parseSeq(c: Cursor, indent: number): YamlValue[] {
  const items: YamlValue[] = [];
  for (skipBlank(c); c.i < c.lines.length; skipBlank(c)) {
    const line = c.lines[c.i]!;
    if (indentOf(line) !== indent || !isSeqItem(line.trim())) break;
    const rest = line.trim().slice(1).trimStart();
    if (rest === '') {
      c.i++;
      items.push(parseNode(c, indent + 1));
    } else if (isSeqItem(rest) || startsMapEntry(rest)) {
      // `- key: value` or `- - x`: the item is a block node starting after the dash.
      const col = line.length - rest.length;
      c.lines[c.i] = ' '.repeat(col) + rest;
      items.push(parseNode(c, col));
    } else {
      items.push(parseInlineValue(c, rest, indent));
    }
  }
  return items;
}

function parseMap(c: Cursor, indent: number): { [key: string]: YamlValue } {
  const map: { [key: string]: YamlValue } = {};
  for (skipBlank(c); c.i < c.lines.length; skipBlank(c)) {
    const line = c.lines[c.i]!;
    if (indentOf(line) !== indent || isSeqItem(line.trim())) break;
    const entry = splitMapEntry(line.trim());
    if (!entry) throw new Error(`YAML: expected "key: value" at line ${c.i + 1}: ${line}`);
    const [key, rest] = entry;
    if (rest === '') {
      c.i++;
      skipBlank(c);
      const next = c.lines[c.i];
      // A sequence may sit at the key's own indent (PyYAML writes them that way).
      if (next !== undefined && indentOf(next) === indent && isSeqItem(next.trim())) {
        map[key] = parseSeq(c, indent);
      } else {
        map[key] = parseNode(c, indent + 1);
      }
    } else {
      map[key] = parseInlineValue(c, rest, indent);
    }
  }
  return map;
}

function startsMapEntry(text: string): boolean {
  return splitMapEntry(text) !== null;
}

/** `key: rest` → [key, rest]; null when the text is a scalar, not a mapping entry. */
function splitMapEntry(text: string): [string, string] | null {
  if (text.startsWith("'") || text.startsWith('"')) {
    const { out, end, state } = scanQuoted(text, text[0]!, 1);
    if (state !== 'closed') return null;
    const after = text.slice(end);
    if (after === ':' || after.startsWith(': ')) return [out, after.slice(1).trim()];
    return null;
  }
  const m = /^([^\s#'"{[\]}][^]*?)\s*:(?:\s+|$)([^]*)$/.exec(text);
  if (!m) return null;
  return [m[1]!, m[2]!.trim()];
}

type QuoteScan = { out: string; end: number; state: 'closed' | 'eol' | 'escapedBreak' };

/**
 * Reads quoted-scalar content from `text[from]` (just after the opening quote, or at the
 * start of a continuation line) to the closing quote or the end of the line.
 */
function scanQuoted(text: string, q: string, from: number): QuoteScan {
  let out = '';
  for (let j = from; j < text.length; j++) {
    const ch = text[j]!;
    if (ch === q) {
      if (q === "'" && text[j + 1] === "'") {
        out += "'";
        j++;
        continue;
      }
      return { out, end: j + 1, state: 'closed' };
    }
    if (q === '"' && ch === '\\') {
      if (j === text.length - 1) return { out, end: text.length, state: 'escapedBreak' };
      const [decoded, length] = unescape(text, j + 1);
      out += decoded;
      j += length;
      continue;
    }
    out += ch;
  }
  return { out, end: text.length, state: 'eol' };
}

const ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  '\t': '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\x85',
  _: '\xa0',
  L: '\u2028',
  P: '\u2029',
};
const HEX_ESCAPES: Record<string, number> = { x: 2, u: 4, U: 8 };

/** The escape after a backslash at `text[at]`: its value and how many characters it used. */
function unescape(text: string, at: number): [string, number] {
  const ch = text[at]!;
  const hexDigits = HEX_ESCAPES[ch];
  if (hexDigits !== undefined) {
    const hex = text.slice(at + 1, at + 1 + hexDigits);
    if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== hexDigits) {
      throw new Error(`YAML: bad escape \\${ch}${hex}`);
    }
    return [String.fromCodePoint(parseInt(hex, 16)), 1 + hexDigits];
  }
  const known = ESCAPES[ch];
  if (known === undefined) throw new Error(`YAML: unsupported escape \\${ch}`);
  return [known, 1];
}

/** The value after `key: ` or `- `; may continue on following, deeper-indented lines. */
function parseInlineValue(c: Cursor, rest: string, parentIndent: number): YamlValue {
  if (rest === '{}' || rest === '[]') {
    c.i++;
    return rest === '{}' ? {} : [];
  }
  if (rest.startsWith('{') || rest.startsWith('[')) {
    throw new Error(`YAML: flow collections are not supported (line ${c.i + 1})`);
  }
  if (rest.startsWith("'") || rest.startsWith('"')) return readQuoted(c, rest, parentIndent);
  if (/^[|>][-+]?$/.test(rest)) return readBlockScalar(c, rest, parentIndent);

  // A plain scalar: deeper lines continue it, folded with single spaces.
  let text = rest;
  c.i++;
  let blanks = 0;
  while (c.i < c.lines.length) {
    const line = c.lines[c.i]!;
    if (line.trim() === '') {
      blanks++;
      c.i++;
      continue;
    }
    if (indentOf(line) <= parentIndent) break;
    text += blanks > 0 ? '\n'.repeat(blanks) : ' ';
    text += line.trim();
    blanks = 0;
    c.i++;
  }
  return resolvePlain(text);
}

/** A quoted scalar that may span lines (line breaks fold to spaces, blank lines to \n). */
function readQuoted(c: Cursor, rest: string, parentIndent: number): string {
  const q = rest[0]!;
  let text = rest;
  let from = 1;
  let out = '';
  for (;;) {
    const scan = scanQuoted(text, q, from);
    out += scan.out;
    if (scan.state === 'closed') {
      const after = text.slice(scan.end).trim();
      if (after !== '' && !after.startsWith('#')) {
        throw new Error(`YAML: unexpected text after a quoted scalar at line ${c.i + 1}`);
      }
      c.i++;
      return out;
    }
    // The scalar goes on over the next line; an escaped break joins without a space.
    c.i++;
    let blanks = 0;
    while (c.i < c.lines.length && c.lines[c.i]!.trim() === '') {
      blanks++;
      c.i++;
    }
    const next = c.lines[c.i];
    if (next === undefined || indentOf(next) <= parentIndent) {
      throw new Error(`YAML: unterminated quoted scalar before line ${c.i + 1}`);
    }
    if (scan.state === 'eol') {
      out = out.replace(/[ \t]+$/, '');
      out += blanks > 0 ? '\n'.repeat(blanks) : ' ';
    }
    text = next.trimStart();
    from = 0;
  }
}

/** `|` (literal) or `>` (folded) with optional chomping `-`/`+`. */
function readBlockScalar(c: Cursor, header: string, parentIndent: number): string {
  c.i++;
  const body: string[] = [];
  let contentIndent = -1;
  while (c.i < c.lines.length) {
    const line = c.lines[c.i]!;
    if (line.trim() !== '') {
      if (indentOf(line) <= parentIndent) break;
      if (contentIndent === -1) contentIndent = indentOf(line);
    }
    body.push(line);
    c.i++;
  }
  // Trailing blank lines belong to chomping, not content.
  let trailing = 0;
  while (body.length > 0 && body[body.length - 1]!.trim() === '') {
    body.pop();
    trailing++;
  }
  const lines = body.map((l) => l.slice(Math.max(contentIndent, 0)));
  let text = '';
  if (header.startsWith('|')) {
    text = lines.join('\n');
  } else {
    lines.forEach((l, k) => {
      if (k === 0) text = l;
      else if (l === '' || lines[k - 1] === '' || /^\s/.test(l)) text += '\n' + l;
      else text += ' ' + l;
    });
  }
  if (header.endsWith('-') || lines.length === 0) return text;
  return header.endsWith('+') ? text + '\n'.repeat(trailing + 1) : text + '\n';
}

/** YAML 1.1 plain scalars as PyYAML reads them: null, booleans, numbers, else a string. */
function resolvePlain(text: string): YamlValue {
  if (/^(?:~|null|Null|NULL)$/.test(text)) return null;
  if (/^(?:true|True|TRUE|yes|Yes|YES|on|On|ON)$/.test(text)) return true;
  if (/^(?:false|False|FALSE|no|No|NO|off|Off|OFF)$/.test(text)) return false;
  if (/^[-+]?(?:0|[1-9][0-9]*)$/.test(text)) return Number(text);
  if (/^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/.test(text)) return Number(text);
  return text;
}
