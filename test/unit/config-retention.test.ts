/**
 * A gateway holds its config for as long as it runs, so the loaded config must not keep the file's
 * text alive: js-yaml cuts string values out of the text, and V8 keeps such a slice as a view on
 * the whole text (a 200-instrument site written out in full is 1.8 MB). Checked in the heap of a
 * process that has loaded the config and still holds it.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { benchProfile, channelsFor } from '../../tools/simulators/modbus/profiles.js';
import { assertBuilt } from '../support/cli.js';
import { ROOT } from '../support/e2e-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'metrogate-retention-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Loads the config, keeps it, writes a heap snapshot and prints how many instruments it holds. */
const PROBE = `
import { writeHeapSnapshot } from 'node:v8';
const { loadConfig } = await import(process.argv[1]);
const config = loadConfig(process.argv[2]);
writeHeapSnapshot(process.argv[3]);
console.log(config.instruments.length);
`;

function site(marker: string): string {
  const channels = channelsFor(benchProfile(50));
  const instruments = Array.from({ length: 200 }, (_, i) => ({
    id: `bench-${i}`,
    protocol: 'modbus-tcp',
    connection: { host: '127.0.0.1', port: 15020 + i, unitId: 1 },
    channels,
  }));
  return `# ${marker}\n${stringify({ site: 'retention', mqtt: { url: 'mqtt://127.0.0.1:1883' }, instruments })}`;
}

describe('the loaded config', () => {
  it("keeps no part of the file's text alive (a 200-instrument site, 1.8 MB written out in full)", async () => {
    assertBuilt();
    const marker = `retention-${randomUUID()}`;
    const file = join(dir, 'site.yaml');
    writeFileSync(file, site(marker));
    const snapshot = join(dir, 'probe.heapsnapshot');
    const loader = join(ROOT, 'dist/config/load-config.js');
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', PROBE, loader, file, snapshot], { maxBuffer: 1 << 20 });
    expect(stdout.trim()).toBe('200');
    // The snapshot lists every string in the heap; the marker is in the text's first line only.
    const heap = readFileSync(snapshot, 'utf8');
    expect(heap.length).toBeGreaterThan(1_000_000);
    expect(heap.includes(`# ${marker}`), 'the config file text is still in the heap').toBe(false);
  });
});
