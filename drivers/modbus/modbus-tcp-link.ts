import * as M from 'modbus-serial';
import type { ModbusRTU as ModbusClient } from 'modbus-serial/ModbusRTU.js';
import type { RegisterFunction } from './config.js';
import type { ReadResult } from './poll-cycle.js';
import { ReadError } from './read-failure.js';

// modbus-serial is CommonJS; under NodeNext its class is the module's default export.
const ModbusRTU = ((M as unknown as { default?: unknown }).default ?? M) as unknown as new () => ModbusClient;

/**
 * One TCP connection to one Modbus device (unit id). modbus-serial never reconnects by itself, so
 * the link only connects, reads and closes; the poller owns the retry loop.
 */
export class ModbusTcpLink {
  private client: ModbusClient | null = null;
  /** The rejecters of the reads waiting for an answer, failed together when the connection ends (see watchClose). */
  private readonly waiting = new Set<(err: ReadError) => void>();
  /** Answers whose transaction id belongs to a request that had already timed out. */
  staleAnswers = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly unitId: number,
    private readonly timeoutMs: number,
  ) {}

  get isOpen(): boolean {
    return this.client?.isOpen === true;
  }

  /** Connects within timeoutMs; modbus-serial alone would wait for the OS (minutes) on a silent host. */
  async connect(onClose: () => void): Promise<void> {
    this.close();
    const client = new ModbusRTU();
    this.client = client;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.connectTCP(this.host, { port: this.port }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`connect to ${this.host}:${this.port} timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
        }),
      ]);
    } catch (err) {
      this.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    client.setID(this.unitId);
    client.setTimeout(this.timeoutMs);
    watchTransactions(client, () => this.staleAnswers++);
    this.watchClose(client, onClose);
  }

  /**
   * modbus-serial leaves a request whose connection closed waiting for its own timeout (and its
   * destroy() cancels that timer, so the request then never settles at all): a device that hangs
   * up mid-request would hold the poll cycle, and stop(), for the whole timeoutMs. So the end of
   * the connection fails every waiting read at once as disconnected, however the end came.
   */
  private watchClose(client: ModbusClient, onClose: () => void): void {
    client.on('close', () => {
      if (this.client !== client) return;
      this.failWaiting('connection closed by peer');
      this.close();
      onClose();
    });
  }

  /** `unitId`: another unit behind the same endpoint (a gateway), for `metrogate scan`. */
  async read(fn: RegisterFunction, address: number, count: number, unitId?: number): Promise<ReadResult> {
    const c = this.client;
    if (!c?.isOpen) throw Object.assign(new Error('Port Not Open'), { errno: 'ECONNREFUSED' });
    if (unitId !== undefined) c.setID(unitId);
    // Not Promise.race against a promise of the connection's end: each race would leave a
    // reaction on it for as long as the connection lives, one per read.
    return new Promise<ReadResult>((resolve, reject) => {
      this.waiting.add(reject);
      request(c, fn, address, count)
        .then(resolve, reject)
        .finally(() => this.waiting.delete(reject));
    });
  }

  private failWaiting(reason: string): void {
    const err = new ReadError({ kind: 'disconnected', reason: `disconnected: ${reason}` });
    for (const reject of this.waiting) reject(err);
    this.waiting.clear();
  }

  close(): void {
    const c = this.client;
    this.client = null;
    if (c) {
      this.failWaiting('connection closed');
      c.destroy(() => undefined);
    }
  }
}

async function request(c: ModbusClient, fn: RegisterFunction, address: number, count: number): Promise<ReadResult> {
  switch (fn) {
    case 'coil':
      return { bits: (await c.readCoils(address, count)).data };
    case 'discrete':
      return { bits: (await c.readDiscreteInputs(address, count)).data };
    case 'holding':
      return { bytes: (await c.readHoldingRegisters(address, count)).buffer };
    case 'input':
      return { bytes: (await c.readInputRegisters(address, count)).buffer };
  }
}

/**
 * Two jobs on modbus-serial's transaction table, through two private fields of modbus-serial 8
 * (without them nothing is counted or freed, and nothing breaks):
 * - A late answer arrives with the transaction id of the request that timed out. modbus-serial
 *   matches answers to requests by that id and drops this one (so a reading never takes the value
 *   of an earlier request, the failure of Telegraf #14317), but silently: this counts it.
 * - modbus-serial keeps every transaction until its id comes round again, 256 requests later: at
 *   one poll a second that is four minutes of request state per device, all of it promoted to
 *   V8's old generation (at 200 devices the heap grew by ~25 MB before the first id repeated).
 *   An answered transaction is finished, so it is removed.
 */
function watchTransactions(client: ModbusClient, countStale: () => void): void {
  const c = client as unknown as {
    _port?: { on?: (event: 'data', fn: () => void) => void; _transactionIdRead?: number };
    _transactions?: Record<number, { _timeoutFired?: boolean } | undefined>;
  };
  const port = c._port;
  const transactions = c._transactions;
  if (typeof port?.on !== 'function' || transactions === undefined) return;
  // Registered after modbus-serial's own handler, so the id read is the answer's, and the
  // transaction has been settled when this runs.
  port.on('data', () => {
    const id = port._transactionIdRead;
    if (id === undefined) return;
    if (transactions[id]?._timeoutFired === true) countStale();
    delete transactions[id];
  });
}
