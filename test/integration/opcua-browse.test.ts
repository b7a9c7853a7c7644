import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../config/load-config.js';
import { OpcuaDriver } from '../../drivers/opcua/opcua-driver.js';
import { profileByName, startOpcuaSimulator, trustSimulator, type OpcuaSimulator } from '../../tools/simulators/opcua/index.js';
import { runBrowseCommand } from '../../gateway/cli/browse-command.js';
import { silentLogger } from '../../gateway/log.js';
import { CollectOutput } from '../support/collect-output.js';

const CHAMBER = profileByName('climate-chamber');
let dir: string;
let sim: OpcuaSimulator;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mg-opcua-browse-'));
  sim = await startOpcuaSimulator({
    pkiDir: join(dir, 'server-pki'),
    static: true,
    instruments: [{ id: 'chamber', profile: 'climate-chamber', calibration: { last: '2026-01-10', next: '2027-01-10' } }],
    users: [{ username: 'operator', password: 'browse-secret' }],
  });
});
afterAll(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** Runs the command in this process, capturing what it prints. */
async function browse(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (stdout += `${a.join(' ')}\n`));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (stderr += `${a.join(' ')}\n`));
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const code = await runBrowseCommand(args);
  vi.restoreAllMocks();
  return { code, stdout, stderr };
}

function asConfigFile(block: string): string {
  const file = join(dir, `browsed-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, `site: lab\nmqtt:\n  url: mqtt://127.0.0.1:1883\ninstruments:\n${block}`);
  return file;
}

describe('metrogate browse', () => {
  it('lists the instrument objects and their variables with data type, unit and range, down to the depth asked', async () => {
    const { code, stdout } = await browse(sim.endpoint, '--pki', join(dir, 'pki'));
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe(`${sim.endpoint} (Objects, 3 levels)`);
    expect(lines[1]).toMatch(/^chamber\/\s+ns=1;s=chamber$/);
    expect(stdout).toMatch(/\n {2}temperature\s+ns=1;s=chamber\.temperature\s+Double {2}°C {2}\[-40 \.\. 180\]\n/);
    expect(stdout).toMatch(/\n {2}humidity\s+ns=1;s=chamber\.humidity\s+Double {2}%RH {2}\[0 \.\. 100\]\n/);
    expect(stdout).toMatch(/\n {2}door_open\s+ns=1;s=chamber\.door_open\s+Boolean\n/);
    expect(stdout).toMatch(
      /\n {2}Calibration\/\s+ns=1;s=chamber\.Calibration\n {4}LastCalibrationDate\s+ns=1;s=chamber\.Calibration\.LastCalibrationDate\s+DateTime\n/,
    );
    for (const p of CHAMBER.points) expect(stdout).toContain(`ns=1;s=chamber.${p.channel}`);
    // The standard's own objects (Server diagnostics, …) are not instruments; properties (EURange…) are not nodes.
    expect(stdout).not.toMatch(/^(Server|Locations)\//m);
    expect(stdout).not.toContain('EURange');

    const shallow = await browse(sim.endpoint, '--depth', '1', '--pki', join(dir, 'pki'));
    expect(shallow.stdout.trim().split('\n').slice(1)).toEqual([expect.stringMatching(/^chamber\/\s+ns=1;s=chamber$/)]);
    const under = await browse(sim.endpoint, '--node', 'ns=1;s=chamber.Calibration', '--depth', '1', '--pki', join(dir, 'pki'));
    expect(
      under.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(['LastCalibrationDate', 'NextCalibrationDate', 'CertificateNumber']);
  });

  it('prints a config block for picked nodes that loadConfig accepts and the driver reads', async () => {
    const pki = join(dir, 'pki');
    const { code, stdout } = await browse(
      sim.endpoint,
      '--pki',
      pki,
      '--config-block',
      '--pick',
      'ns=1;s=chamber.temperature',
      '--pick',
      'ns=1;s=chamber.humidity',
      '--pick',
      'ns=1;s=chamber.door_open',
    );
    expect(code).toBe(0);
    const config = loadConfig(asConfigFile(stdout), {});
    const inst = config.instruments[0]!;
    if (inst.protocol !== 'opcua') throw new Error(`expected an opcua instrument, got ${inst.protocol}`);
    expect(inst).toMatchObject({ id: 'chamber', endpoint: sim.endpoint });
    expect(inst.channels).toEqual([
      { id: 'temperature', nodeId: 'ns=1;s=chamber.temperature', quantity: 'temperature', unit: '°C' },
      { id: 'humidity', nodeId: 'ns=1;s=chamber.humidity', quantity: 'humidity', unit: '%RH' },
      { id: 'door_open', nodeId: 'ns=1;s=chamber.door_open', quantity: 'status', unit: '' },
    ]);

    sim.instrument('chamber').set('temperature', 18.25);
    const out = new CollectOutput();
    const driver = new OpcuaDriver('lab', [{ ...inst, security: { ...inst.security, pkiDir: pki } }], silentLogger());
    driver.start(out);
    try {
      await out.until(
        () => out.batches.flatMap((b) => b.readings).some((r) => r.channel === 'temperature' && r.raw === 18.25),
        'a reading through the pasted block',
      );
    } finally {
      await driver.stop();
    }
  });

  it('browses over SignAndEncrypt as a user; the block names the password variable, never the password', async () => {
    const pki = join(dir, 'secure-pki');
    trustSimulator(sim, pki);
    vi.stubEnv('OPCUA_PASSWORD', 'browse-secret');
    const { code, stdout } = await browse(
      sim.endpoint,
      '--mode',
      'SignAndEncrypt',
      '--pki',
      pki,
      '--username',
      'operator',
      '--config-block',
      '--pick',
      'ns=1;s=chamber',
    );
    expect(code).toBe(0);
    expect(stdout).not.toContain('browse-secret');
    expect(stdout).toContain('password: "${OPCUA_PASSWORD}"');
    const config = loadConfig(asConfigFile(stdout), { OPCUA_PASSWORD: 'browse-secret' });
    const inst = config.instruments[0]!;
    if (inst.protocol !== 'opcua') throw new Error('expected an opcua instrument');
    expect(inst.security).toEqual({ mode: 'SignAndEncrypt', policy: 'Basic256Sha256', pkiDir: pki });
    expect(inst.auth).toEqual({ type: 'username', username: 'operator', password: 'browse-secret' });
    // Picking the object takes every variable under it, its calibration object's included.
    expect(inst.channels.map((c) => c.id)).toEqual([
      ...CHAMBER.points.map((p) => p.channel),
      'LastCalibrationDate',
      'NextCalibrationDate',
      'CertificateNumber',
    ]);
  });

  it('fails with exit 1 and a message when it cannot browse, and 64 on a bad command line', async () => {
    const untrusted = await browse(sim.endpoint, '--mode', 'SignAndEncrypt', '--pki', join(dir, 'untrusting-pki'));
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(
      /is not trusted \(BadCertificateUntrusted\): to trust it, move .*untrusting-pki\/rejected\/.*\.pem to .*untrusting-pki\/trusted\/certs\//,
    );

    const closed = await browse(`opc.tcp://127.0.0.1:${sim.port + 1}/nowhere`, '--pki', join(dir, 'pki'));
    expect(closed.code).toBe(1);
    expect(closed.stderr).toContain(`cannot connect to opc.tcp://127.0.0.1:${sim.port + 1}/nowhere`);

    expect((await browse('http://example.com')).code).toBe(64);
    expect(await browse('--help')).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage: metrogate browse <opc.tcp://host:port/path>') });
    expect((await browse(sim.endpoint, '--depth', '0')).code).toBe(64);
    const noPassword = await browse(sim.endpoint, '--username', 'operator', '--password-env', 'MG_TEST_UNSET_PASSWORD');
    expect(noPassword.code).toBe(64);
    expect(noPassword.stderr).toContain('--username needs the password in the environment variable MG_TEST_UNSET_PASSWORD');
    const missing = await browse(sim.endpoint, '--pki', join(dir, 'pki'), '--config-block', '--pick', 'ns=1;s=nope');
    expect(missing).toMatchObject({ code: 1, stderr: 'metrogate browse: not found within 3 levels: ns=1;s=nope\n' });
  });
});
