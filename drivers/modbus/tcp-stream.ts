import net from 'node:net';
import type { ByteStream } from './byte-stream.js';

/** A TCP socket to a serial-to-Ethernet converter in transparent (raw RTU) mode. */
export class TcpStream implements ByteStream {
  private socket: net.Socket | null = null;
  private dataHandler: (chunk: Buffer) => void = () => undefined;
  private closeHandler: (reason: string) => void = () => undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly connectTimeoutMs: number,
  ) {}

  get name(): string {
    return `${this.host}:${this.port}`;
  }

  get isOpen(): boolean {
    return this.socket !== null;
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.host, port: this.port });
      // Without a timer a silent host keeps connect() pending for minutes (the OS's SYN retries).
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${this.name} timed out after ${this.connectTimeoutMs} ms`));
      }, this.connectTimeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot connect to ${this.name}: ${err.message}`));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        this.socket = socket;
        let lastError = '';
        socket.on('error', (err) => (lastError = err.message));
        socket.on('data', (chunk: Buffer) => this.dataHandler(chunk));
        socket.on('close', () => {
          if (this.socket !== socket) return;
          this.socket = null;
          this.closeHandler(`connection to ${this.name} closed${lastError ? `: ${lastError}` : ' by peer'}`);
        });
        resolve();
      });
    });
  }

  write(bytes: Uint8Array): void {
    this.socket?.write(bytes);
  }

  /** A socket's received bytes are read in the poll phase itself, so a read round has them already. */
  discardInput(): Promise<void> {
    return Promise.resolve();
  }

  onData(handler: (chunk: Buffer) => void): void {
    this.dataHandler = handler;
  }

  onClose(handler: (reason: string) => void): void {
    this.closeHandler = handler;
  }

  close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    socket?.destroy();
    return Promise.resolve();
  }
}
