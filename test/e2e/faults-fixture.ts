/**
 * The fault suite's own servers: a Mosquitto and an InfluxDB that can be stopped and started again
 * on the same port with the same data (the suite-wide ones must never be disturbed), and queries
 * that prove a sequence-numbered stream arrived whole.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { influxClient } from '../../gateway/influx/ensure-database.js';
import { startDaemon, type RunningDaemon } from '../../tools/private-services/daemon.js';
import { findBinary } from '../../tools/private-services/ensure-installed.js';
import { freePort } from '../../tools/private-services/free-port.js';
import { influxConfig } from '../../tools/private-services/influxdb.js';
import { acceptsConnections, mosquittoConfig } from '../../tools/private-services/mosquitto.js';
import { makeDataDir } from '../../tools/private-services/orphan-sweep.js';

/** A server that can go down and come back on the same port with the same data. */
export interface Restartable {
  url: string;
  port: number;
  running(): boolean;
  /** SIGTERM (the daemon saves its state), then wait for the exit. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its data. */
  dispose(): Promise<void>;
}

async function restartable(name: string, port: number, launch: (dataDir: string) => Promise<RunningDaemon>, url: string): Promise<Restartable> {
  const keep = mkdtempSync(join(tmpdir(), `metrogate-faults-${name}-`));
  let daemon: RunningDaemon | null = null;
  const self: Restartable = {
    url,
    port,
    running: () => daemon !== null,
    async start() {
      if (daemon) return;
      daemon = await launch(keep);
    },
    async stop() {
      const d = daemon;
      daemon = null;
      await d?.stop();
    },
    async dispose() {
      await self.stop();
      rmSync(keep, { recursive: true, force: true });
    },
  };
  await self.start();
  return self;
}

/**
 * Mosquitto with persistence: stopped with SIGTERM it saves sessions and queued messages, as a
 * production broker must for at-least-once to hold across its restart. `start` false: reserve
 * the port only (the broker comes up later). `persistence` false: a restart loses every session,
 * subscription, retained and queued message (what gap repair must make good). `extraConfig`:
 * more mosquitto.conf lines (e.g. max_packet_size).
 */
export async function restartableMosquitto(opts: { start?: boolean; persistence?: boolean; extraConfig?: string[] } = {}): Promise<Restartable> {
  const binary = findBinary('mosquitto');
  if (!binary) throw new Error('mosquitto not found');
  const port = await freePort();
  const launch = async (keep: string): Promise<RunningDaemon> => {
    const dataDir = await makeDataDir('mosquitto');
    const conf = join(dataDir, 'mosquitto.conf');
    await writeFile(
      conf,
      mosquittoConfig(port, [
        ...(opts.persistence === false ? [] : ['persistence true', `persistence_location ${keep}/`]),
        // The ingest holds PUBACKs until InfluxDB answered; a down InfluxDB must not make the
        // broker drop what it queues for the ingest's session (default limit: 1000 messages).
        'max_queued_messages 0',
        'max_inflight_messages 1000',
        ...(opts.extraConfig ?? []),
      ]),
    );
    return startDaemon({
      name: 'mosquitto',
      binary,
      args: ['-c', conf],
      dataDir,
      port,
      isReady: () => acceptsConnections(port),
      startTimeoutMs: 10_000,
      stopTimeoutMs: 10_000,
    });
  };
  const broker = await restartable('mosquitto', port, launch, `mqtt://127.0.0.1:${port}`);
  if (opts.start === false) await broker.stop();
  return broker;
}

/** InfluxDB 1.x whose data directory survives stop/start. */
export async function restartableInfluxDB(): Promise<Restartable> {
  const binary = findBinary('influxd');
  if (!binary) throw new Error('influxd not found');
  const [port, rpcPort] = [await freePort(), await freePort()];
  const launch = async (keep: string): Promise<RunningDaemon> => {
    const dataDir = await makeDataDir('influxdb');
    const conf = join(dataDir, 'influxdb.conf');
    await writeFile(conf, influxConfig({ port, rpcPort, dataDir: keep, logLevel: 'warn' }));
    return startDaemon({
      name: 'influxd',
      binary,
      args: ['-config', conf],
      dataDir,
      port,
      isReady: async () => {
        try {
          await influxClient({ url: `http://127.0.0.1:${port}`, database: '_internal' })
            .ping(1000)
            .then((hosts) => {
              if (!hosts.every((h) => h.online)) throw new Error('not up');
            });
          return true;
        } catch {
          return false;
        }
      },
      startTimeoutMs: 30_000,
      stopTimeoutMs: 10_000,
    });
  };
  return restartable('influxdb', port, launch, `http://127.0.0.1:${port}`);
}

/** Every `seq` stored for the instrument, ascending. */
export async function storedSeqs(influxUrl: string, database: string, instrument: string): Promise<number[]> {
  const rows = await influxClient({ url: influxUrl, database }).query<{ seq: number }>(`SELECT "seq" FROM "reading" WHERE "instrument" = '${instrument}'`);
  return rows.map((r) => Number(r.seq)).sort((a, b) => a - b);
}

/** 1..n, the stream an instrument produced when nothing was lost. */
export const oneTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
