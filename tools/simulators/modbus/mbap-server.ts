/**
 * A Modbus TCP server on `net`, hosting one or more unit ids (each a ModbusDevice).
 * Written instead of modbus-serial's ServerTCP, which answers ~700 reads/s and accepts reads the
 * spec forbids; the benchmark needs tens of thousands per second from one process.
 */
import net from 'node:net';
import { Connection, type ConnectionContext, type UnknownUnitPolicy } from './connection.js';
import { ModbusDevice } from './device.js';

export interface ModbusTcpServerOptions {
  /** Default 127.0.0.1: a simulator has no business listening on the plant network. */
  host?: string;
  /** Default 0: an ephemeral port, read back from `port` after listen(). */
  port?: number;
  /** Requests for a unit id not hosted here: no answer (default) or exception 0x0B. */
  unknownUnit?: UnknownUnitPolicy;
}

export class ModbusTcpServer implements ConnectionContext {
  private readonly server = net.createServer((socket) => this.accept(socket));
  private readonly units = new Map<number, ModbusDevice>();
  private readonly connections = new Set<Connection>();
  private readonly host: string;
  private readonly requestedPort: number;
  unknownUnit: UnknownUnitPolicy;

  constructor(options: ModbusTcpServerOptions = {}) {
    this.host = options.host ?? '127.0.0.1';
    this.requestedPort = options.port ?? 0;
    this.unknownUnit = options.unknownUnit ?? 'ignore';
  }

  /** Hosts `device` (a new empty one by default) under `unitId` and returns it. */
  addUnit(unitId: number, device: ModbusDevice = new ModbusDevice()): ModbusDevice {
    if (!Number.isInteger(unitId) || unitId < 0 || unitId > 255) {
      throw new RangeError(`unit id ${unitId} is outside 0..255`);
    }
    if (this.units.has(unitId)) throw new Error(`unit id ${unitId} is already hosted on this server`);
    this.units.set(unitId, device);
    return device;
  }

  unit(unitId: number): ModbusDevice | undefined {
    return this.units.get(unitId);
  }

  get unitIds(): number[] {
    return [...this.units.keys()];
  }

  /** The bound port; 0 before listen(). */
  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  get openConnections(): number {
    return this.connections.size;
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        reject(new Error(`modbus simulator cannot listen on ${this.host}:${this.requestedPort}: ${err.message}`));
      };
      this.server.once('error', onError);
      this.server.listen({ host: this.host, port: this.requestedPort, backlog: 1024 }, () => {
        this.server.off('error', onError);
        resolve(this.port);
      });
    });
  }

  /** Stops listening and destroys every open socket, so close() never waits on a client. */
  close(): Promise<void> {
    for (const connection of this.connections) connection.destroy();
    this.connections.clear();
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    // The server itself is the context, so flipping `unknownUnit` reaches open connections too.
    const connection = new Connection(socket, this);
    this.connections.add(connection);
    socket.once('close', () => this.connections.delete(connection));
  }
}
