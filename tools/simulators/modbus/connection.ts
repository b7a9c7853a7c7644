/**
 * One client connection: MBAP framing over a TCP byte stream and in-order answers.
 *
 * TCP delivers chunks, not frames: a request may arrive split over several chunks, and several
 * pipelined requests may arrive in one. Complete frames are answered in arrival order; a
 * delayed answer holds back the answers behind it, as a serial device behind a gateway would.
 */
import type { Socket } from 'node:net';
import type { ModbusDevice } from './device.js';
import { answerRequest, exceptionFrame, garbageFrame, GATEWAY_TARGET_FAILED, MBAP_LENGTH } from './pdu.js';

/** What to do with a request for a unit id the server does not host. */
export type UnknownUnitPolicy = 'ignore' | 'exception';

export interface ConnectionContext {
  unit(unitId: number): ModbusDevice | undefined;
  unknownUnit: UnknownUnitPolicy;
}

/**
 * The MBAP length field counts the unit id and the PDU. The spec caps an ADU at 260 bytes
 * (length 254), but an oversized request (FC16 with 124 registers) deserves exception 3 from the
 * PDU checks, not a dropped connection; only lengths no Modbus frame can have mean a lost stream.
 */
const MIN_LENGTH_FIELD = 2;
const MAX_LENGTH_FIELD = 1024;
/** Stop reading from a client that pipelines faster than a delayed device drains. */
const MAX_QUEUED = 256;

export class Connection {
  private rest: Buffer | null = null;
  private readonly queue: Buffer[] = [];
  private delayed: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly ctx: ConnectionContext,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => this.resumeIfIdle());
    // A reset by the peer is normal life for a server; the 'close' that follows cleans up.
    socket.on('error', () => undefined);
    socket.on('close', () => this.dispose());
  }

  destroy(): void {
    this.dispose();
    this.socket.destroy();
  }

  private dispose(): void {
    this.closed = true;
    if (this.delayed) clearTimeout(this.delayed);
    this.delayed = null;
    this.queue.length = 0;
  }

  private receive(chunk: Buffer): void {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    let pos = 0;
    this.socket.cork();
    while (!this.closed && buf.length - pos >= MBAP_LENGTH) {
      const protocol = buf.readUInt16BE(pos + 2);
      const length = buf.readUInt16BE(pos + 4);
      if (protocol !== 0 || length < MIN_LENGTH_FIELD || length > MAX_LENGTH_FIELD) {
        // No way to find the next frame boundary in a corrupt stream: drop the client.
        this.destroy();
        return;
      }
      const end = pos + 6 + length;
      if (end > buf.length) break;
      this.enqueue(buf.subarray(pos, end));
      pos = end;
    }
    // Copy the partial tail so the (possibly 64 KiB) chunk it came from can be freed.
    this.rest = pos < buf.length ? Buffer.from(buf.subarray(pos)) : null;
    this.socket.uncork();
  }

  private enqueue(frame: Buffer): void {
    if (this.delayed || this.queue.length > 0) {
      this.queue.push(frame);
      if (this.queue.length >= MAX_QUEUED) this.socket.pause();
      return;
    }
    this.handle(frame);
  }

  private handle(frame: Buffer): void {
    const device = this.ctx.unit(frame[6]!);
    if (!device) {
      if (this.ctx.unknownUnit === 'exception') this.send(exceptionFrame(frame, GATEWAY_TARGET_FAILED));
      return;
    }
    device.requests++;
    const faults = device.faults;
    if (faults.dropConnection) {
      if (faults.dropConnection === 'once') device.setFaults({ dropConnection: false });
      this.destroy();
      return;
    }
    if (faults.mute) return;
    if (faults.delayMs > 0) {
      this.delayed = setTimeout(() => {
        this.delayed = null;
        this.reply(device, frame);
        this.drain();
      }, faults.delayMs);
      return;
    }
    this.reply(device, frame);
  }

  /** Builds the answer at send time, so a delayed answer carries the values of that moment. */
  private reply(device: ModbusDevice, frame: Buffer): void {
    if (this.closed) return;
    const garbage = device.faults.garbage;
    device.served++;
    this.send(garbage ? garbageFrame(frame, garbage === 'stream') : answerRequest(device, frame));
  }

  private send(frame: Buffer): void {
    if (!this.socket.write(frame)) this.socket.pause();
  }

  private drain(): void {
    this.socket.cork();
    while (!this.closed && !this.delayed && this.queue.length > 0) this.handle(this.queue.shift()!);
    this.socket.uncork();
    this.resumeIfIdle();
  }

  private resumeIfIdle(): void {
    if (!this.closed && this.queue.length < MAX_QUEUED && !this.socket.writableNeedDrain) this.socket.resume();
  }
}
