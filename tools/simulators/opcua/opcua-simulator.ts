/**
 * A real OPC UA server (node-opcua) serving simulated instruments, for the tests, the demo and
 * the benchmark. It can be stopped and started again on the same port with the same certificate,
 * which is how the tests prove the driver survives a server restart.
 */
import { join, resolve } from 'node:path';
import './quiet-node-opcua.js';
import { MessageSecurityMode, nodesets, OPCUACertificateManager, OPCUAServer, SecurityPolicy } from 'node-opcua';
import type { SecurityMode, SecurityPolicyName } from '../../../drivers/opcua/config.js';
import { undoOpensslConfLeak } from '../../../drivers/opcua/pki.js';
import { profileByName, type ProfileName } from './profiles.js';
import { SimInstrument, type SimCalibration } from './sim-instrument.js';

export interface SimInstrumentSpec {
  id: string;
  profile: ProfileName;
  /** Points of the `bench` profile. Default 100. */
  benchPoints?: number;
  /** Adds a Calibration object with these dates. */
  calibration?: SimCalibration;
}

export interface OpcuaSimulatorOptions {
  /** The server's certificate and trust stores go here (never under $HOME). */
  pkiDir: string;
  instruments: SimInstrumentSpec[];
  /** 0 (default): a free port, kept across restarts. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default: every mode. */
  securityModes?: SecurityMode[];
  /** Default: None and every supported policy. */
  securityPolicies?: ('None' | SecurityPolicyName)[];
  /** Users accepted for username/password authentication. Default: none. */
  users?: { username: string; password: string }[];
  /** Default true. */
  allowAnonymous?: boolean;
  /** Trust every client certificate (default true), as a lab server set to auto-accept does. */
  trustClients?: boolean;
  /** Serve every point's mean, no noise or drift, until a test sets it. Default false. */
  static?: boolean;
  /** How often the signals move. Default 200 ms. */
  updateIntervalMs?: number;
  /** Cap on monitored items per subscription the server accepts (to test spreading). */
  maxMonitoredItemsPerSubscription?: number;
}

const RESOURCE_PATH = '/UA/metrogate-sim';

export class OpcuaSimulator {
  private server: OPCUAServer | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private readonly instruments = new Map<string, SimInstrument>();
  private boundPort: number;
  private readonly host: string;

  constructor(private readonly opts: OpcuaSimulatorOptions) {
    this.boundPort = opts.port ?? 0;
    this.host = opts.host ?? '127.0.0.1';
    for (const spec of opts.instruments) {
      if (this.instruments.has(spec.id)) throw new Error(`duplicate simulated instrument id ${spec.id}`);
      this.instruments.set(spec.id, new SimInstrument(spec.id, profileByName(spec.profile, spec.benchPoints), opts.static ?? false, spec.calibration));
    }
  }

  get port(): number {
    return this.boundPort;
  }

  get endpoint(): string {
    return `opc.tcp://${this.host}:${this.boundPort}${RESOURCE_PATH}`;
  }

  /** The server's certificate (PEM): copy it into a client's trusted/certs to trust the server. */
  get certificateFile(): string {
    return join(resolve(this.opts.pkiDir), 'server', 'own', 'certs', 'certificate.pem');
  }

  get running(): boolean {
    return this.server !== null;
  }

  serves(id: string): boolean {
    return this.instruments.has(id);
  }

  instrument(id: string): SimInstrument {
    const inst = this.instruments.get(id);
    if (!inst) throw new Error(`no simulated instrument ${id} (have ${[...this.instruments.keys()].join(', ')})`);
    return inst;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const pki = resolve(this.opts.pkiDir);
    const trustClients = this.opts.trustClients ?? true;
    const serverCertificateManager = new OPCUACertificateManager({ rootFolder: join(pki, 'server'), automaticallyAcceptUnknownCertificate: trustClients });
    const userCertificateManager = new OPCUACertificateManager({ rootFolder: join(pki, 'users'), automaticallyAcceptUnknownCertificate: trustClients });
    const users = this.opts.users ?? [];
    const server = new OPCUAServer({
      port: this.boundPort,
      host: this.host,
      hostname: this.host,
      resourcePath: RESOURCE_PATH,
      nodeset_filename: [nodesets.standard],
      serverCertificateManager,
      userCertificateManager,
      securityModes: (this.opts.securityModes ?? ['None', 'Sign', 'SignAndEncrypt']).map((m) => MessageSecurityMode[m]),
      securityPolicies: (this.opts.securityPolicies ?? ['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss']).map(
        (p) => SecurityPolicy[p],
      ),
      allowAnonymous: this.opts.allowAnonymous ?? true,
      userManager: { isValidUser: (username: string, password: string) => users.some((u) => u.username === username && u.password === password) },
      buildInfo: { productName: 'metrogate OPC UA simulator', manufacturerName: 'metrogate' },
      serverCapabilities: this.opts.maxMonitoredItemsPerSubscription ? { maxMonitoredItemsPerSubscription: this.opts.maxMonitoredItemsPerSubscription } : {},
    });
    await server.initialize();
    const addressSpace = server.engine.addressSpace!;
    const ns = addressSpace.getOwnNamespace();
    for (const inst of this.instruments.values()) inst.mount(ns, addressSpace.rootFolder.objects);
    await server.start();
    undoOpensslConfLeak();
    this.boundPort = server.endpoints[0]!.port;
    this.server = server;
    const interval = this.opts.updateIntervalMs ?? 200;
    if (!this.opts.static) this.ticker = setInterval(() => this.tick(), interval);
  }

  /** Shuts the server down (clients see the connection close); instrument state is kept for start(). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    this.server = null;
    await server.shutdown(0);
    for (const inst of this.instruments.values()) inst.unmount();
  }

  private tick(): void {
    const now = Date.now();
    for (const inst of this.instruments.values()) inst.tick(now);
  }
}

export async function startOpcuaSimulator(opts: OpcuaSimulatorOptions): Promise<OpcuaSimulator> {
  const sim = new OpcuaSimulator(opts);
  await sim.start();
  return sim;
}
