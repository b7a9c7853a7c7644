/**
 * A raw byte pipe to a line of Modbus RTU slaves: a serial port, or a TCP socket to a
 * serial-to-Ethernet converter. The master owns it exclusively; it knows nothing of frames.
 */
export interface ByteStream {
  /** For logs and errors: the device path or host:port. */
  readonly name: string;
  readonly isOpen: boolean;
  /** Opens (or connects) within the stream's own timeout; rejects with an Error naming the line. */
  open(): Promise<void>;
  write(bytes: Uint8Array): void;
  /**
   * Drops bytes the operating system has received that nobody has read yet (a serial port's
   * input queue); resolves when done, and also when the stream is closed or has no such queue.
   */
  discardInput(): Promise<void>;
  /** Replaces any earlier handler. */
  onData(handler: (chunk: Buffer) => void): void;
  /** Called once when an open stream closes, with the reason when it was not close(). */
  onClose(handler: (reason: string) => void): void;
  close(): Promise<void>;
}
