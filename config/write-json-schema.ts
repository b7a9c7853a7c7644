/**
 * config/metrogate.schema.json, generated from ConfigSchema so editors (yaml-language-server)
 * complete and check the YAML with the very rules loadConfig applies. Regenerate with
 * `npm run build && npm run schema`; a unit test fails while the committed file is stale.
 */
import { existsSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigSchema } from './schema.js';

export const JSON_SCHEMA_FILE = 'config/metrogate.schema.json';

export function jsonSchemaText(): string {
  const document = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'metrogate configuration',
    description: 'One YAML file describes the site, the MQTT broker, InfluxDB and the instruments.',
    // TypeBox's own markers are symbols, which JSON.stringify leaves out.
    ...(forEditors(ConfigSchema) as object),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/**
 * The editor checks the file as written, before loadConfig's defaults and `${VAR}` substitution:
 * - TypeBox lists a property with a default as required (the loaded config always has it), but the
 *   user may leave it out; an editor must not flag a missing `port` that loadConfig fills with 502.
 * - A patterned string may be `${MQTT_URL:-mqtt://localhost:1883}`; loadConfig checks the pattern
 *   after substitution, so the editor lets any value holding `${` through.
 */
function forEditors(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(forEditors);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) out[key] = forEditors(value);
  if (typeof out.pattern === 'string') out.pattern = `(?:${out.pattern})|\\$\\{`;
  const properties = out.properties as Record<string, { default?: unknown }> | undefined;
  if (Array.isArray(out.required) && properties) {
    const required = out.required.filter((name: unknown) => properties[String(name)]?.default === undefined);
    if (required.length > 0) out.required = required;
    else delete out.required;
  }
  return out;
}

/** The same place whether this runs from config/ (tests) or dist/config/ (npm run schema). */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

export function writeJsonSchema(root = packageRoot()): string {
  const file = join(root, JSON_SCHEMA_FILE);
  writeFileSync(file, jsonSchemaText());
  return file;
}

function runAsScript(): boolean {
  const entry = process.argv[1];
  return entry !== undefined && existsSync(entry) && import.meta.url === pathToFileURL(realpathSync(entry)).href;
}

if (runAsScript()) console.log(`wrote ${writeJsonSchema()}`);
