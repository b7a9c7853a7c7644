import { SerialPort } from 'serialport';
import type { Parity } from './config.js';
import type { ByteStream } from './byte-stream.js';

export interface SerialSettings {
  path: string;
  baudRate: number;
  parity: Parity;
  dataBits: 7 | 8;
  stopBits: 1 | 2;
}

/**
 * A serial port through `serialport` (the package modbus-serial uses). The port is opened with an
 * exclusive lock, so a second process (or a second gateway) cannot talk on the same line.
 */
export class SerialStream implements ByteStream {
  private port: SerialPort | null = null;
  private dataHandler: (chunk: Buffer) => void = () => undefined;
  private closeHandler: (reason: string) => void = () => undefined;

  constructor(private readonly settings: SerialSettings) {}

  get name(): string {
    return this.settings.path;
  }

  get isOpen(): boolean {
    return this.port?.isOpen === true;
  }

  open(): Promise<void> {
    const { path, baudRate, parity, dataBits, stopBits } = this.settings;
    const port = new SerialPort({ path, baudRate, parity, dataBits, stopBits, autoOpen: false, lock: true });
    return new Promise((resolve, reject) => {
      port.open((err) => {
        if (err) {
          reject(new Error(`cannot open serial port ${path}: ${err.message}`));
          return;
        }
        this.port = port;
        port.on('data', (chunk: Buffer) => this.dataHandler(chunk));
        // 'error' is followed by 'close' when the port is lost (a USB adapter unplugged).
        port.on('error', () => undefined);
        port.on('close', (err: Error | null) => {
          if (this.port !== port) return;
          this.port = null;
          this.closeHandler(err ? `serial port ${path} closed: ${err.message}` : `serial port ${path} closed`);
        });
        resolve();
      });
    });
  }

  write(bytes: Uint8Array): void {
    this.port?.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  /** tcflush(): nothing of ours is left to send (one transaction at a time), so TCIOFLUSH is safe. */
  discardInput(): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) return Promise.resolve();
    return new Promise((resolve) => port.flush(() => resolve()));
  }

  onData(handler: (chunk: Buffer) => void): void {
    this.dataHandler = handler;
  }

  onClose(handler: (reason: string) => void): void {
    this.closeHandler = handler;
  }

  close(): Promise<void> {
    const port = this.port;
    this.port = null;
    if (!port?.isOpen) return Promise.resolve();
    return new Promise((resolve) => port.close(() => resolve()));
  }
}
