/**
 * Ajv writes validation code once for every place a subschema appears, and plugins composing the
 * config repeat theirs: each protocol's instrument carries the same channel, calibration and
 * sensor-characteristic schemas. Compiled as composed, the config schema became 1.2 MB of
 * generated source, 3.2 s of compile and ~50 MB of resident memory at start (measured, 200
 * instruments: the gateway kept ~14 MB of it for good). Each repeated subschema moved into `$defs`
 * once and referenced (`inlineRefs: false`) compiles once: 0.39 MB, ~0.3 s.
 *
 * What a user sees does not change: the published editor schema is the composed one, and a union's
 * branches stay inline, because config/ajv-problems.ts drops a failed union's branch errors by
 * their schema path, which a branch moved into `$defs` would no longer share.
 */

type Node = Record<string, unknown>;

/** Subschemas smaller than this cost little code per copy; a reference would cost as much. */
const MIN_SHARED_CHARS = 500;

const isObject = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A schema, as opposed to a map of schemas (`properties`, whose members may be named `type`). */
const isSchema = (n: Node) => typeof n.type === 'string' || ['oneOf', 'anyOf', 'allOf'].some((k) => Array.isArray(n[k]));
/** Ajv ignores a default at the root of a referenced schema: a subschema with one stays where it is. */
const isShareable = (n: Node) => isSchema(n) && !('default' in n);
const UNIONS = new Set(['oneOf', 'anyOf']);

/**
 * free: may be shared. branch: a discriminated union's branch, kept inline (Ajv reports only the
 * chosen branch's errors, so what is below it may be shared). frozen: anything below a plain union,
 * whose errors are dropped by schema path when another branch matched.
 */
type Place = 'free' | 'branch' | 'frozen';

function placeOf(parent: Node, key: string, place: Place): Place {
  if (place === 'frozen') return 'frozen';
  if (!UNIONS.has(key)) return 'free';
  return parent.discriminator === undefined ? 'frozen' : 'branch';
}

/** How many times each schema (by its JSON text) appears anywhere in the tree. */
function countSchemas(node: unknown, counts: Map<string, number>): void {
  if (Array.isArray(node)) for (const v of node) countSchemas(v, counts);
  if (!isObject(node)) return;
  if (isShareable(node)) {
    const text = JSON.stringify(node);
    if (text.length >= MIN_SHARED_CHARS) counts.set(text, (counts.get(text) ?? 0) + 1);
  }
  for (const v of Object.values(node)) countSchemas(v, counts);
}

class Sharer {
  readonly defs: Record<string, unknown> = {};
  private readonly names = new Map<string, string>();

  constructor(private readonly counts: Map<string, number>) {}

  /**
   * Rewrites `node`, replacing a subschema by a reference when it appears more often than `within`
   * (the count of the shared schema being rewritten: parts that appear only inside it stay in it).
   */
  rewrite(node: unknown, within: number, place: Place = 'free'): unknown {
    if (Array.isArray(node)) return node.map((v) => this.rewrite(v, within, place));
    if (!isObject(node)) return node;
    if (place === 'free' && isShareable(node)) {
      const text = JSON.stringify(node);
      const count = this.counts.get(text) ?? 0;
      if (count > Math.max(within, 1)) return { $ref: `#/$defs/${this.define(text, count)}` };
    }
    const out: Node = {};
    for (const [key, value] of Object.entries(node)) out[key] = this.rewrite(value, within, placeOf(node, key, place));
    return out;
  }

  private define(text: string, count: number): string {
    let name = this.names.get(text);
    if (name === undefined) {
      name = `shared${this.names.size}`;
      this.names.set(text, name);
      this.defs[name] = this.rewrite(JSON.parse(text), count);
    }
    return name;
  }
}

/** The same schema with each repeated subschema written once in `$defs`; the input is not changed. */
export function shareRepeatedSubschemas(schema: object): object {
  const counts = new Map<string, number>();
  countSchemas(schema, counts);
  const sharer = new Sharer(counts);
  const root = sharer.rewrite(schema, 1) as Node;
  return Object.keys(sharer.defs).length === 0 ? root : { ...root, $defs: { ...(root.$defs as Node | undefined), ...sharer.defs } };
}
