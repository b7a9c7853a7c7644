/**
 * A namespace-aware element tree over fast-xml-parser's ordered output. DCC files differ in their
 * prefixes (`dcc:`, `d:`, a default namespace), so elements are matched by namespace URI and local
 * name; each element also keeps its path as written in the file, for error messages a user can
 * follow in an editor.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { DccError } from './dcc-error.js';

export const DCC_NS = 'https://ptb.de/dcc';
/** XML-DSig: a signature's subtree is verified, never read as certificate content (it is not signed). */
const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
export const SI_NS = 'https://ptb.de/si';

export interface XmlElement {
  /** The name as written, with its prefix: `dcc:quantity`. */
  readonly name: string;
  readonly local: string;
  /** Namespace URI, '' when none. */
  readonly ns: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** Concatenated direct text content, trimmed. */
  readonly text: string;
  readonly parent: XmlElement | undefined;
  /** `dcc:digitalCalibrationCertificate/dcc:measurementResults/.../dcc:quantity[refType=basic_measurementError]` */
  readonly path: string;
}

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

/** Elements nested deeper than this are refused (the parser's own bound; real DCCs nest ~15). */
export const MAX_DEPTH = 100;

const parser = new XMLParser({
  preserveOrder: true,
  maxNestedTags: MAX_DEPTH,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  commentPropName: false,
});

/**
 * Parses XML text into the root element; throws DccError for text that is not well-formed XML
 * and for what a certificate never needs and an attacker would: entity declarations (external
 * ones read local files, nested ones expand to gigabytes) and nesting beyond MAX_DEPTH.
 */
export function parseXml(text: string): XmlElement {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  refuseEntities(body);
  const valid = XMLValidator.validate(body);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw new DccError('', `not well-formed XML: ${msg} (line ${line}, column ${col})`);
  }
  let nodes: OrderedNode[];
  try {
    nodes = parser.parse(body) as OrderedNode[];
  } catch (err) {
    // The parser's own refusals (nesting, DOCTYPE syntax) are the file's fault, not a crash.
    const reason = (err as Error).message;
    if (/nested tags/i.test(reason)) throw new DccError('', `elements nested more than ${MAX_DEPTH} deep: not a DCC (refused)`);
    throw new DccError('', `not a usable XML document: ${reason}`);
  }
  const roots = nodes.filter((n) => elementName(n) !== undefined);
  if (roots.length !== 1) throw new DccError('', `not an XML document with one root element (found ${roots.length})`);
  return build(roots[0]!, undefined, new Map([['xml', 'http://www.w3.org/XML/1998/namespace']]));
}

const ENTITY_DECLARATION = /<!ENTITY\s+(%\s*)?([^\s>]*)\s*([^>]*)>/i;

/** A DCC is defined by its XML Schema: it declares no entities, so any declaration is refused. */
function refuseEntities(body: string): void {
  const doctype = /<!DOCTYPE/i.exec(body);
  if (!doctype) return;
  const found = ENTITY_DECLARATION.exec(body.slice(doctype.index));
  if (!found) return;
  const [, parameter, name, rest] = found;
  const line = body.slice(0, doctype.index + found.index).split('\n').length;
  const kind = parameter ? 'a parameter entity' : /^(SYSTEM|PUBLIC)\b/i.test(rest ?? '') ? 'an external entity' : 'an entity';
  throw new DccError(
    '',
    `the DOCTYPE declares ${kind} (${name}, line ${line}): a DCC needs no entities, and they can read local files or expand to gigabytes (refused)`,
  );
}

function elementName(node: OrderedNode): string | undefined {
  return Object.keys(node).find((k) => k !== ':@' && k !== '#text');
}

function build(node: OrderedNode, parent: XmlElement | undefined, scope: ReadonlyMap<string, string>): XmlElement {
  const name = elementName(node)!;
  const attrs = node[':@'] ?? {};
  let nsScope = scope;
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'xmlns' || key.startsWith('xmlns:')) {
      if (nsScope === scope) nsScope = new Map(scope);
      (nsScope as Map<string, string>).set(key === 'xmlns' ? '' : key.slice(6), value);
    }
  }
  const colon = name.indexOf(':');
  const prefix = colon < 0 ? '' : name.slice(0, colon);
  const local = colon < 0 ? name : name.slice(colon + 1);
  const ns = nsScope.get(prefix);
  const refType = attrs['refType'];
  const step = refType ? `${name}[refType=${refType}]` : name;
  const el = {
    name,
    local,
    ns: ns ?? '',
    attrs,
    children: [] as XmlElement[],
    text: '',
    parent,
    path: parent ? `${parent.path}/${step}` : step,
  };
  if (prefix !== '' && ns === undefined) throw new DccError(el.path, `namespace prefix "${prefix}" is not declared`);
  const content = (node[name] ?? []) as OrderedNode[];
  const texts: string[] = [];
  for (const child of content) {
    if (typeof child['#text'] === 'string') texts.push(child['#text']);
    else if (elementName(child) !== undefined) {
      const built = build(child, el, nsScope);
      if (built.ns !== DSIG_NS) el.children.push(built);
    }
  }
  el.text = texts.join('').trim();
  return el;
}

/** Direct children with this local name in this namespace. */
export function childrenOf(el: XmlElement, ns: string, local: string): XmlElement[] {
  return el.children.filter((c) => c.local === local && c.ns === ns);
}

export function childOf(el: XmlElement | undefined, ns: string, local: string): XmlElement | undefined {
  return el?.children.find((c) => c.local === local && c.ns === ns);
}

/** Follows a chain of DCC-namespace children: `dccPath(root, 'administrativeData', 'coreData')`. */
export function dccPath(el: XmlElement | undefined, ...locals: string[]): XmlElement | undefined {
  let at = el;
  for (const local of locals) at = childOf(at, DCC_NS, local);
  return at;
}

/** Every descendant (depth first, document order) with this local name in this namespace. */
export function descendantsOf(el: XmlElement, ns: string, local: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    for (const c of e.children) {
      if (c.local === local && c.ns === ns) out.push(c);
      walk(c);
    }
  };
  walk(el);
  return out;
}

/** `refType` is a space-separated list of tokens (e.g. "basic_valueSettlingTime gp_valueAdjustmentTime"). */
export function refTypes(el: XmlElement): string[] {
  return (el.attrs['refType'] ?? '').split(/\s+/).filter((t) => t !== '');
}

export function hasRefType(el: XmlElement, tokens: ReadonlySet<string>): boolean {
  return refTypes(el).some((t) => tokens.has(t));
}

/**
 * A DCC text block (`dcc:name`, `dcc:declaration`): the English content, else one without a
 * language, else the first.
 */
export function textBlock(el: XmlElement | undefined): string | undefined {
  if (!el) return undefined;
  const contents = childrenOf(el, DCC_NS, 'content').filter((c) => c.text !== '');
  const pick = contents.find((c) => c.attrs['lang'] === 'en') ?? contents.find((c) => c.attrs['lang'] === undefined) ?? contents[0];
  return pick?.text;
}
