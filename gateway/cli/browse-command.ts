/**
 * `metrogate browse <endpoint>`: what an OPC UA server offers, as a tree, or as a config block
 * ready to paste under `instruments:`. Passwords come from the environment, never the command line.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { SECURITY_MODES, SECURITY_POLICIES, type SecurityMode, type SecurityPolicyName } from '../../drivers/opcua/config.js';
import type { BrowsedNode } from '../../drivers/opcua/browse.js';

export const BROWSE_USAGE = `Usage: metrogate browse <opc.tcp://host:port/path> [options]
  --node ID            start at this node (default: the Objects folder)
  --depth N            levels below it (default 3)
  --mode M             None | Sign | SignAndEncrypt (default None)
  --policy P           ${SECURITY_POLICIES.join(' | ')} (default Basic256Sha256)
  --pki DIR            the gateway's certificate store (default ./pki)
  --username U         log in as U; the password is read from $OPCUA_PASSWORD
  --password-env VAR   read the password from $VAR instead
  --config-block       print a config block for the variables found (or those picked)
  --pick ID            with --config-block: only this variable, or the variables under this object (repeatable)
  --id NAME            the instrument id in the config block
Exit status: 0 done, 1 cannot connect or browse (the message says why), 64 bad command line.`;

interface BrowseRequest {
  endpoint: string;
  node: string | undefined;
  depth: number;
  security: { mode: SecurityMode; policy: SecurityPolicyName; pkiDir: string };
  login: { username: string; password: string; passwordEnv: string } | undefined;
  configBlock: boolean;
  picks: string[];
  id: string | undefined;
}

export async function runBrowseCommand(args: string[]): Promise<number> {
  const request = parseBrowseArgs(args);
  if (typeof request === 'number') return request;
  // node-opcua prints to the console unless told otherwise; stdout must hold only our output.
  const { routeNodeOpcuaLogs } = await import('../../drivers/opcua/node-opcua-logs.js');
  routeNodeOpcuaLogs(pino({ level: 'silent' }));
  const nodes = await browse(request);
  if (nodes === null) return 1;
  return request.configBlock ? printConfigBlock(request, nodes) : printTree(request, nodes);
}

/** The command line as a request, or the exit status when it asks for help or is wrong. */
function parseBrowseArgs(args: string[]): BrowseRequest | number {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        node: { type: 'string' },
        depth: { type: 'string', default: '3' },
        mode: { type: 'string', default: 'None' },
        policy: { type: 'string', default: 'Basic256Sha256' },
        pki: { type: 'string', default: './pki' },
        username: { type: 'string' },
        'password-env': { type: 'string', default: 'OPCUA_PASSWORD' },
        'config-block': { type: 'boolean', default: false },
        pick: { type: 'string', multiple: true, default: [] },
        id: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    return usage((err as Error).message);
  }
  const { values: o, positionals } = parsed;
  if (o.help) {
    console.log(BROWSE_USAGE);
    return 0;
  }
  const endpoint = positionals[0];
  if (!endpoint || positionals.length > 1) return usage('give exactly one endpoint');
  if (!/^opc\.tcp:\/\/[^/:]+(:\d+)?(\/.*)?$/.test(endpoint)) return usage(`expected opc.tcp://host:port/path, got "${endpoint}"`);
  const depth = Number(o.depth);
  if (!Number.isInteger(depth) || depth < 1 || depth > 20) return usage(`--depth takes a whole number from 1 to 20, got "${o.depth}"`);
  if (!SECURITY_MODES.includes(o.mode as SecurityMode)) return usage(`--mode takes ${SECURITY_MODES.join(', ')}, got "${o.mode}"`);
  if (!SECURITY_POLICIES.includes(o.policy as SecurityPolicyName)) return usage(`--policy takes ${SECURITY_POLICIES.join(', ')}, got "${o.policy}"`);
  const passwordEnv = o['password-env'];
  const password = o.username === undefined ? undefined : process.env[passwordEnv];
  if (o.username !== undefined && password === undefined) return usage(`--username needs the password in the environment variable ${passwordEnv}`);
  return {
    endpoint,
    node: o.node,
    depth,
    security: { mode: o.mode as SecurityMode, policy: o.policy as SecurityPolicyName, pkiDir: o.pki },
    login: o.username === undefined ? undefined : { username: o.username, password: password ?? '', passwordEnv },
    configBlock: o['config-block'],
    picks: o.pick,
    id: o.id,
  };
}

/** The server's nodes, or null when it cannot be reached or browsed (the reason is printed). */
async function browse(r: BrowseRequest): Promise<BrowsedNode[] | null> {
  const { browseServer } = await import('../../drivers/opcua/browse.js');
  try {
    return await browseServer({
      endpoint: r.endpoint,
      security: r.security,
      auth: r.login === undefined ? undefined : { type: 'username', username: r.login.username, password: r.login.password },
      timeoutMs: 10_000,
      depth: r.depth,
      ...(r.node === undefined ? {} : { start: r.node }),
    });
  } catch (err) {
    console.error(`metrogate browse: ${(err as Error).message}`);
    return null;
  }
}

async function printTree(r: BrowseRequest, nodes: readonly BrowsedNode[]): Promise<number> {
  const { renderTree } = await import('../../drivers/opcua/browse-format.js');
  console.log(`${r.endpoint} (${r.node ?? 'Objects'}, ${r.depth} level${r.depth === 1 ? '' : 's'})`);
  console.log(nodes.length === 0 ? '(no objects or variables)' : renderTree(nodes));
  return 0;
}

async function printConfigBlock(r: BrowseRequest, nodes: readonly BrowsedNode[]): Promise<number> {
  const { renderConfigBlock } = await import('../../drivers/opcua/browse-format.js');
  const chosen = pick(nodes, r.picks);
  if ('missing' in chosen) {
    console.error(`metrogate browse: not found within ${r.depth} levels: ${chosen.missing.join(', ')}`);
    return 1;
  }
  const block = renderConfigBlock(chosen.nodes, {
    id: r.id ?? instrumentName(nodes, chosen.nodes) ?? 'opcua-instrument',
    endpoint: r.endpoint,
    security: r.security,
    ...(r.login === undefined ? {} : { username: r.login.username, passwordEnv: r.login.passwordEnv }),
  });
  process.stdout.write(block.yaml);
  for (const s of block.skipped) console.error(`skipped ${s}`);
  return 0;
}

/** The picked variables, and every variable under a picked object; all variables when none is picked. */
function pick(nodes: readonly BrowsedNode[], picks: readonly string[]): { nodes: BrowsedNode[] } | { missing: string[] } {
  if (picks.length === 0) return { nodes: nodes.filter((n) => n.nodeClass === 'Variable') };
  const missing = picks.filter((p) => !nodes.some((n) => n.nodeId === p));
  if (missing.length > 0) return { missing };
  const chosen = new Set<BrowsedNode>();
  nodes.forEach((n, i) => {
    if (!picks.includes(n.nodeId)) return;
    chosen.add(n);
    for (let j = i + 1; j < nodes.length && nodes[j]!.depth > n.depth; j++) chosen.add(nodes[j]!);
  });
  return { nodes: nodes.filter((n) => chosen.has(n) && n.nodeClass === 'Variable') };
}

/** The top-level object all chosen variables sit under, when there is one: a natural instrument id. */
function instrumentName(all: readonly BrowsedNode[], chosen: readonly BrowsedNode[]): string | undefined {
  const tops = new Set<string>();
  let top: BrowsedNode | undefined;
  for (const n of all) {
    if (n.depth === 0) top = n;
    if (chosen.includes(n)) tops.add(top && top !== n ? top.browseName : '');
  }
  const [only] = tops;
  return tops.size === 1 && only ? only : undefined;
}

function usage(message: string): number {
  console.error(`metrogate browse: ${message}\n\n${BROWSE_USAGE}`);
  return 64;
}
