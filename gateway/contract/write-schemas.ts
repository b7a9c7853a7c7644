/**
 * Writes gateway/schemas/*.schema.json from the contract (documents.ts). Run with
 * `npm run build && npm run schema`; test/unit/contract-schemas.test.ts fails while a committed
 * file is stale.
 */
import { existsSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../../config/write-json-schema.js';
import { CONTRACT_DOCUMENTS } from './documents.js';
import { publishedText } from './schema-kit.js';

export const SCHEMAS_DIR = 'gateway/schemas';

export function writeContractSchemas(root = packageRoot()): string[] {
  return CONTRACT_DOCUMENTS.map((doc) => {
    const file = join(root, SCHEMAS_DIR, doc.file);
    writeFileSync(file, publishedText(doc));
    return file;
  });
}

function runAsScript(): boolean {
  const entry = process.argv[1];
  return entry !== undefined && existsSync(entry) && import.meta.url === pathToFileURL(realpathSync(entry)).href;
}

if (runAsScript()) for (const file of writeContractSchemas()) console.log(`wrote ${file}`);
