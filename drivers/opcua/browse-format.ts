/** What `metrogate browse` prints: the tree of nodes, or a config block for chosen variables. */
import { Document, isMap, isSeq } from 'yaml';
import type { BrowsedNode } from './browse.js';
import type { SecurityMode, SecurityPolicyName } from './config.js';

/** Data types a channel can carry (ua-values.ts decodes them), abstract numeric types included. */
const READABLE = new Set([
  'Boolean',
  'SByte',
  'Byte',
  'Int16',
  'UInt16',
  'Int32',
  'UInt32',
  'Int64',
  'UInt64',
  'Float',
  'Double',
  'String',
  'LocalizedText',
  'DateTime',
  'StatusCode',
  'Number',
  'Integer',
  'UInteger',
  'Duration',
  'UtcTime',
]);

export function renderTree(nodes: readonly BrowsedNode[]): string {
  const name = (n: BrowsedNode) => `${'  '.repeat(n.depth)}${n.browseName}${n.nodeClass === 'Object' ? '/' : ''}`;
  const nameWidth = Math.max(0, ...nodes.map((n) => name(n).length)) + 2;
  const idWidth = Math.max(0, ...nodes.filter((n) => n.nodeClass === 'Variable').map((n) => n.nodeId.length)) + 2;
  return nodes
    .map((n) => {
      if (n.nodeClass === 'Object') return `${name(n).padEnd(nameWidth)}${n.nodeId}`;
      const type = `${n.dataType ?? 'unknown'}${n.scalar === false ? '[]' : ''}`;
      const parts = [name(n).padEnd(nameWidth), n.nodeId.padEnd(idWidth), type];
      if (n.unit) parts.push(`  ${n.unit}`);
      if (n.range) parts.push(`  [${n.range.low} .. ${n.range.high}]`);
      return parts.join('').trimEnd();
    })
    .join('\n');
}

export interface ConfigBlockOptions {
  id: string;
  endpoint: string;
  security?: { mode: SecurityMode; policy: SecurityPolicyName; pkiDir: string };
  /** Written with the password as `${passwordEnv}`: the block never holds a secret. */
  username?: string;
  passwordEnv?: string;
}

export interface ConfigBlock {
  /** A list item, indented to paste under `instruments:`. */
  yaml: string;
  /** Chosen variables that cannot be a channel, with why. */
  skipped: string[];
}

export function renderConfigBlock(nodes: readonly BrowsedNode[], opts: ConfigBlockOptions): ConfigBlock {
  const skipped: string[] = [];
  const ids = new Set<string>();
  const channels: Record<string, string>[] = [];
  for (const n of nodes) {
    if (n.nodeClass !== 'Variable') continue;
    if (n.scalar === false || !READABLE.has(n.dataType ?? '')) {
      skipped.push(`${n.nodeId} (${n.dataType ?? 'unknown'}${n.scalar === false ? ' array' : ''}: not a scalar a channel can carry)`);
      continue;
    }
    const channel: Record<string, string> = { id: uniqueId(n.browseName, ids), nodeId: n.nodeId, quantity: guessQuantity(n) };
    if (n.unit) channel.unit = n.unit;
    channels.push(channel);
  }
  const instrument: Record<string, unknown> = { id: toId(opts.id), protocol: 'opcua', endpoint: opts.endpoint };
  if (opts.security && opts.security.mode !== 'None') instrument.security = opts.security;
  if (opts.username) instrument.auth = { type: 'username', username: opts.username, password: `\${${opts.passwordEnv ?? 'OPCUA_PASSWORD'}}` };
  instrument.channels = channels;

  const doc = new Document([instrument]);
  const item = isSeq(doc.contents) ? doc.contents.items[0] : undefined;
  if (isMap(item)) {
    for (const pair of item.items) {
      if (isMap(pair.value)) pair.value.flow = true;
      if (isSeq(pair.value)) for (const ch of pair.value.items) if (isMap(ch)) ch.flow = true;
    }
  }
  const body = doc
    .toString({ lineWidth: 0 })
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
  const header = `  # from metrogate browse ${opts.endpoint}: paste under "instruments:"; check each quantity`;
  return { yaml: `${header}\n${body}\n`, skipped };
}

/** Channel and instrument ids: letters, digits, `_ . -`, starting with a letter or digit. */
export function toId(name: string): string {
  const id = name
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  return id === '' ? 'node' : id;
}

function uniqueId(name: string, taken: Set<string>): string {
  const base = toId(name);
  let id = base;
  for (let i = 2; taken.has(id); i++) id = `${base.slice(0, 60)}_${i}`;
  taken.add(id);
  return id;
}

const BY_UNIT: [RegExp, string][] = [
  [/^(°C|°F|K|℃)$/, 'temperature'],
  [/%\s*RH|^RH$/i, 'humidity'],
  [/^(m|k|h|M|G)?Pa$|^m?bar$|^psi$/, 'pressure'],
  [/^(µ|m|k)?V$/, 'voltage'],
  [/^(µ|m)?A$/, 'current'],
  [/^(µ|m|k)?g$|^t$/, 'mass'],
  [/^(m|k|M)?W$/, 'power'],
  [/^(k|M)?Hz$/, 'frequency'],
  [/^(k|M)?Ω$|^(k|M)?ohm$/i, 'resistance'],
  [/^(n|µ|m|c|k)?m$/, 'length'],
  [/\/(s|min|h)$/, 'flow'],
];

const BY_NAME: [RegExp, string][] = [
  [/temp/i, 'temperature'],
  [/humid/i, 'humidity'],
  [/press/i, 'pressure'],
  [/volt/i, 'voltage'],
  [/current/i, 'current'],
  [/mass|weight/i, 'mass'],
  [/power/i, 'power'],
  [/flow/i, 'flow'],
  [/freq/i, 'frequency'],
];

/** A first guess for `quantity` (required by the config); the header asks the user to check it. */
export function guessQuantity(n: BrowsedNode): string {
  for (const [re, q] of BY_UNIT) if (n.unit && re.test(n.unit)) return q;
  for (const [re, q] of BY_NAME) if (re.test(n.browseName)) return q;
  if (n.dataType === 'Boolean' || n.dataType === 'String' || n.dataType === 'LocalizedText') return 'status';
  return 'value';
}
