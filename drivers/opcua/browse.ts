/**
 * `metrogate browse`: walks a server's address space from a node, level by level down to a
 * depth, and describes every object and variable (data type, scalar or not, unit and range where
 * the server gives an EUInformation / EURange). One Browse, one Read and one TranslateBrowsePath
 * request per level, however many nodes it holds.
 */
import {
  AttributeIds,
  browseAll,
  BrowseDirection,
  DataType,
  NodeClass,
  NodeClassMask,
  ReferenceTypeIds,
  resolveNodeId,
  type ClientSession,
  type ReferenceDescription,
} from 'node-opcua-client';
import { connectClient, type SessionOptions } from './ua-connect.js';

export interface BrowsedNode {
  nodeId: string;
  browseName: string;
  nodeClass: 'Object' | 'Variable';
  /** 0 for the children of the start node. */
  depth: number;
  /** Variables: the data type's name, e.g. Double. */
  dataType?: string;
  /** Variables: false for arrays and matrices, which the driver does not read. */
  scalar?: boolean;
  /** EUInformation display name, e.g. °C. */
  unit?: string;
  range?: { low: number; high: number };
}

export interface BrowseOptions extends SessionOptions {
  /** Default: the Objects folder. */
  start?: string;
  /** Levels below the start node. */
  depth: number;
}

const OBJECTS_FOLDER = 'i=85';
const OBJECTS_FOLDER_ID = resolveNodeId(OBJECTS_FOLDER).toString();
const HAS_PROPERTY_ID = resolveNodeId(ReferenceTypeIds.HasProperty).toString();

export async function browseServer(opts: BrowseOptions): Promise<BrowsedNode[]> {
  const { client, session } = await connectClient(opts, () => undefined);
  try {
    return await walk(session, opts.start ?? OBJECTS_FOLDER, opts.depth);
  } finally {
    await session.close().catch(() => undefined);
    await client.disconnect().catch(() => undefined);
  }
}

/** Depth-first order (parents before their children), built breadth-first to batch requests. */
async function walk(session: ClientSession, start: string, maxDepth: number): Promise<BrowsedNode[]> {
  const children = new Map<string, BrowsedNode[]>();
  const seen = new Set<string>([resolveNodeId(start).toString()]);
  let level = [resolveNodeId(start).toString()];
  for (let depth = 0; depth < maxDepth && level.length > 0; depth++) {
    const results = await browseAll(
      session,
      level.map((nodeId) => ({
        nodeId,
        browseDirection: BrowseDirection.Forward,
        referenceTypeId: ReferenceTypeIds.HierarchicalReferences,
        includeSubtypes: true,
        nodeClassMask: NodeClassMask.Object | NodeClassMask.Variable,
        resultMask: 0x3f,
      })),
    );
    const next: BrowsedNode[] = [];
    results.forEach((result, i) => {
      const found = (result.references ?? []).filter((ref) => keep(ref, level[i]!, seen)).map((ref) => toNode(ref, depth));
      children.set(level[i]!, found);
      next.push(...found);
    });
    await describeVariables(
      session,
      next.filter((n) => n.nodeClass === 'Variable'),
    );
    level = next.map((n) => n.nodeId);
  }
  const ordered: BrowsedNode[] = [];
  const visit = (nodeId: string) => {
    for (const child of children.get(nodeId) ?? []) {
      ordered.push(child);
      visit(child.nodeId);
    }
  };
  visit(resolveNodeId(start).toString());
  return ordered;
}

function keep(ref: ReferenceDescription, parent: string, seen: Set<string>): boolean {
  // Properties (EURange, EngineeringUnits, …) describe their variable; they are not channels.
  if (ref.referenceTypeId.toString() === HAS_PROPERTY_ID) return false;
  const id = ref.nodeId.toString();
  // Under Objects, namespace 0 holds the standard's own objects (Server with its hundreds of
  // diagnostics, Locations, …), not instruments; browse them with --node when wanted.
  if (parent === OBJECTS_FOLDER_ID && ref.nodeId.namespace === 0) return false;
  if (seen.has(id)) return false;
  seen.add(id);
  return true;
}

function toNode(ref: ReferenceDescription, depth: number): BrowsedNode {
  return {
    nodeId: ref.nodeId.toString(),
    browseName: ref.browseName.name ?? ref.nodeId.toString(),
    nodeClass: ref.nodeClass === NodeClass.Variable ? 'Variable' : 'Object',
    depth,
  };
}

async function describeVariables(session: ClientSession, vars: BrowsedNode[]): Promise<void> {
  if (vars.length === 0) return;
  const attrs = await session.read(
    vars.flatMap((v) => [
      { nodeId: v.nodeId, attributeId: AttributeIds.DataType },
      { nodeId: v.nodeId, attributeId: AttributeIds.ValueRank },
    ]),
  );
  const typeIds = vars.map((_, i) => attrs[2 * i]?.value.value?.toString() as string | undefined);
  const names = await dataTypeNames(session, typeIds);
  vars.forEach((v, i) => {
    v.dataType = names.get(typeIds[i] ?? '') ?? 'unknown';
    v.scalar = attrs[2 * i + 1]?.value.value === -1;
  });

  const props = ['EngineeringUnits', 'EURange'];
  const paths = vars.flatMap((v) =>
    props.map((name) => ({
      startingNode: v.nodeId,
      relativePath: {
        elements: [{ referenceTypeId: ReferenceTypeIds.HasProperty, isInverse: false, includeSubtypes: true, targetName: { namespaceIndex: 0, name } }],
      },
    })),
  );
  const found = await session.translateBrowsePath(paths);
  const targets = found.map((r) => (r.statusCode.isGood() ? r.targets?.[0]?.targetId.toString() : undefined));
  const present = targets.filter((t): t is string => t !== undefined);
  if (present.length === 0) return;
  const values = await session.read(present.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })));
  const valueOf = (t: string | undefined): unknown => (t === undefined ? undefined : values[present.indexOf(t)]?.value.value);
  vars.forEach((v, i) => {
    const eu = valueOf(targets[2 * i]) as { displayName?: { text?: string | null } } | undefined;
    const range = valueOf(targets[2 * i + 1]) as { low?: number; high?: number } | undefined;
    if (eu?.displayName?.text) v.unit = eu.displayName.text;
    if (typeof range?.low === 'number' && typeof range.high === 'number') v.range = { low: range.low, high: range.high };
  });
}

/** Built-in types by their enum name; others by the DataType node's browse name. */
async function dataTypeNames(session: ClientSession, typeIds: (string | undefined)[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const unknown: string[] = [];
  for (const id of new Set(typeIds)) {
    if (id === undefined) continue;
    const m = /^ns=0;i=(\d+)$|^i=(\d+)$/.exec(id);
    const builtin = m ? Number(m[1] ?? m[2]) : NaN;
    if (builtin >= 1 && builtin <= 25) names.set(id, DataType[builtin]!);
    else unknown.push(id);
  }
  if (unknown.length > 0) {
    const read = await session.read(unknown.map((nodeId) => ({ nodeId, attributeId: AttributeIds.BrowseName })));
    unknown.forEach((id, i) => names.set(id, (read[i]?.value.value as { name?: string } | undefined)?.name ?? id));
  }
  return names;
}
