/**
 * A set of Modbus RTU slaves sharing one line: frames requests out of a byte stream, answers the
 * addressed unit after the time the frames would take on the wire, and applies each unit's
 * injected faults. The PDU itself is answered by pdu.ts, the same code as the TCP simulator.
 *
 * A pseudo-terminal moves bytes instantly whatever the baud rate, so the line's timing is
 * emulated here: an answer is written when it would have finished arriving on a real line
 * (request + answer characters at the baud rate, plus the slave's turnaround). The slaves also
 * watch the master: a request that starts less than the inter-frame gap after the previous
 * frame, or while an answer is still on the wire, is counted (a real slave would see garbage).
 */
import { performance } from 'node:perf_hooks';
import { crcHolds, withCrc } from '../../../drivers/modbus/rtu-frame.js';
import type { LineTiming } from '../../../drivers/modbus/rtu-timing.js';
import type { ModbusDevice } from './device.js';
import { answerRequest, MBAP_LENGTH } from './pdu.js';

export interface RtuLineCounters {
  /** Frames with a good CRC, for any unit. */
  requests: number;
  /** Bytes that formed no request with a good CRC (dropped, as a real slave does). */
  badFrames: number;
  /** Requests that began sooner than the inter-frame gap after the previous frame. */
  gapViolations: number;
  /** Requests that arrived while an answer was still on the wire. */
  collisions: number;
}

export function newLineCounters(): RtuLineCounters {
  return { requests: 0, badFrames: 0, gapViolations: 0, collisions: 0 };
}

export interface RtuUnits {
  unit(unitId: number): ModbusDevice | undefined;
}

/** A request frame's length from its function code; 0 until the byte that decides it arrived. */
function requestLength(buf: Uint8Array): number | undefined {
  const fc = buf[1]!;
  if (fc >= 1 && fc <= 6) return 8;
  if (fc === 15 || fc === 16) return buf.length > 6 ? 9 + buf[6]! : 0;
  return undefined;
}

/** What a slave with the garbage fault sends instead of its answer: no Modbus frame. */
const GARBAGE = [0x3f, 0xe2, 0x00, 0x7d, 0x91, 0xc4, 0x18, 0x55, 0xa0];

export class RtuSlaveLine {
  private rx: Buffer = Buffer.alloc(0);
  /** performance.now() at which the last frame (request or answer) ended on the emulated wire. */
  private lastFrameEnd = -Infinity;
  private answerEndsAt = -Infinity;
  private readonly timers = new Set<NodeJS.Timeout>();
  private stall: NodeJS.Timeout | null = null;

  constructor(
    private readonly units: RtuUnits,
    private readonly timing: LineTiming,
    private readonly send: (bytes: Buffer) => void,
    /** The slave's think time before it answers, ms. */
    private readonly turnaroundMs: number,
    /** RTU over TCP: closes the client's socket (the dropConnection fault); serial lines have none. */
    private readonly dropClient: () => void = () => undefined,
    /** Shared by every connection of an RTU-over-TCP server. */
    readonly counters: RtuLineCounters = newLineCounters(),
  ) {}

  receive(chunk: Buffer): void {
    const now = performance.now();
    if (this.rx.length === 0) {
      if (now < this.answerEndsAt) this.counters.collisions++;
      else if (now - this.lastFrameEnd < this.timing.gapMs) this.counters.gapViolations++;
    }
    this.rx = this.rx.length === 0 ? chunk : Buffer.concat([this.rx, chunk]);
    this.frame(now);
  }

  /** Drops pending answers (the line is going away). */
  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.stall) clearTimeout(this.stall);
  }

  private frame(now: number): void {
    if (this.stall) clearTimeout(this.stall);
    this.stall = null;
    while (this.rx.length >= 2) {
      const length = requestLength(this.rx);
      if (length === undefined) {
        this.drop();
        return;
      }
      if (length === 0 || this.rx.length < length) {
        // A real slave resets its receiver after 3.5 silent characters; a pty has no such silence
        // inside a frame, so a partial request that stays partial is noise.
        this.stall = setTimeout(() => this.drop(), Math.max(20, 10 * this.timing.charMs));
        return;
      }
      const request = this.rx.subarray(0, length);
      this.rx = this.rx.subarray(length);
      if (!crcHolds(request, 0, length)) {
        this.counters.badFrames++;
        continue;
      }
      this.counters.requests++;
      this.lastFrameEnd = now + length * this.timing.charMs;
      this.handle(Buffer.from(request), now);
    }
  }

  private drop(): void {
    this.stall = null;
    if (this.rx.length > 0) this.counters.badFrames++;
    this.rx = Buffer.alloc(0);
  }

  private handle(request: Buffer, now: number): void {
    const unitId = request[0]!;
    const device = this.units.unit(unitId);
    if (!device) return; // broadcast (0) or nobody: silence
    device.requests++;
    const faults = device.faults;
    if (faults.dropConnection) {
      if (faults.dropConnection === 'once') device.setFaults({ dropConnection: false });
      this.dropClient();
      return;
    }
    if (faults.mute) return;
    const answer = this.answer(device, request);
    const onWire = (request.length + answer.length) * this.timing.charMs;
    const late = faults.delayMs > 0;
    const endsAt = now + onWire + this.turnaroundMs + faults.delayMs;
    // A late answer is a fault the master must survive, not a master that talks over a slave.
    if (!late) this.answerEndsAt = endsAt;
    this.at(endsAt - now, () => {
      device.served++;
      this.lastFrameEnd = performance.now();
      this.send(this.damage(answer, device));
    });
  }

  private answer(device: ModbusDevice, request: Buffer): Buffer {
    // RTU [unit][PDU][CRC] → MBAP [tid 0][pid 0][length][unit][PDU] for pdu.ts, and back.
    const pduLength = request.length - 3;
    const mbap = Buffer.allocUnsafe(MBAP_LENGTH + pduLength);
    mbap.writeUInt32BE(0, 0);
    mbap.writeUInt16BE(pduLength + 1, 4);
    request.copy(mbap, 6, 0, request.length - 2);
    const reply = answerRequest(device, mbap);
    return withCrc(reply.subarray(MBAP_LENGTH - 1));
  }

  private damage(answer: Buffer, device: ModbusDevice): Buffer {
    const f = device.faults;
    if (f.garbage) return Buffer.from(GARBAGE);
    if (f.wrongUnit) {
      const body = Buffer.from(answer.subarray(0, answer.length - 2));
      body[0] = (body[0]! % 247) + 1;
      return withCrc(body);
    }
    if (f.crcError) {
      const bad = Buffer.from(answer);
      bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
      return bad;
    }
    if (f.truncate) return answer.subarray(0, Math.ceil(answer.length / 2));
    return answer;
  }

  private at(delayMs: number, fn: () => void): void {
    if (delayMs <= 0) {
      fn();
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, delayMs);
    this.timers.add(t);
  }
}
