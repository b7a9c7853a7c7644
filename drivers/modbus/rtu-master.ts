/**
 * The Modbus RTU master of one line: one transaction at a time over a ByteStream, with the
 * inter-frame gap, a timeout that includes the frames' time on the wire, and every kind of bad
 * answer told apart and counted. Why not modbus-serial's RTU ports: they keep unread bytes across
 * requests (a late answer is then taken as the answer to the next request of the same shape: a
 * wrong value with good quality), skip frames of another unit id silently (seen as a timeout), and
 * its "TcpRTUBuffered" port speaks MBAP, not RTU, on the socket.
 */
import { performance } from 'node:perf_hooks';
import type { RegisterFunction } from './config.js';
import type { ByteStream } from './byte-stream.js';
import type { ReadResult } from './poll-cycle.js';
import { exceptionFailure, ReadError, TIMEOUT, type GarbageKind, type ReadFailure } from './read-failure.js';
import { answerLength, expectationFor, looksTruncated, readRequest, scanFrame, type Expectation } from './rtu-frame.js';
import type { LineTiming } from './rtu-timing.js';

export interface RtuCounters {
  transactions: number;
  /** Valid answers (data or exception) to the request that was sent. */
  answered: number;
  timeouts: number;
  exceptions: number;
  /** Bad answers by kind; a transaction may see several before its own answer or its timeout. */
  crc: number;
  wrongUnit: number;
  truncated: number;
  stale: number;
  malformed: number;
}

const EMPTY = Buffer.alloc(0);
/** Nothing on a Modbus line is longer (256-byte frames); more is noise, keep only the tail. */
const MAX_BUFFERED = 1024;

/** `unanswered`: the timeout ended it, no answer of the slave's own came. */
type Outcome = { ok: ReadResult } | { failure: ReadFailure; unanswered?: boolean };

export class RtuMaster {
  readonly counters: RtuCounters = {
    transactions: 0,
    answered: 0,
    timeouts: 0,
    exceptions: 0,
    crc: 0,
    wrongUnit: 0,
    truncated: 0,
    stale: 0,
    malformed: 0,
  };
  private rx: Buffer = EMPTY;
  /** performance.now() of the last byte received and of the end of our last request on the wire. */
  private lastRxAt = 0;
  private lastTxEnd = 0;
  /** Data events so far: tells whether any bytes came during a wait. */
  private chunks = 0;
  private busy = false;
  /** After a request went unanswered, its slave is not asked again before this (see quiet()). */
  private readonly settleUntil = new Map<number, number>();
  private onReceive: (() => void) | null = null;
  private onLost: ((reason: string) => void) | null = null;

  constructor(
    private readonly stream: ByteStream,
    private readonly timing: LineTiming,
  ) {
    stream.onData((chunk) => this.receive(chunk));
    stream.onClose((reason) => this.onLost?.(reason));
  }

  get isOpen(): boolean {
    return this.stream.isOpen;
  }

  /**
   * ms until `unitId` may be asked again (0: now). After an unanswered request its late answer
   * may still come; the line's scheduler gives the line to other slaves meanwhile.
   */
  settlingFor(unitId: number): number {
    const until = this.settleUntil.get(unitId);
    return until === undefined ? 0 : Math.max(0, until - performance.now());
  }

  /** Wire time of `bytes` characters, ms. */
  wireMs(bytes: number): number {
    return bytes * this.timing.charMs;
  }

  /**
   * Reads `count` registers or bits from a slave. Resolves with the data, or throws a ReadError
   * whose failure says why (timeout, exception:N, disconnected, invalid response: …).
   * `timeoutMs` is the slave's thinking time: the frames' own wire time is added to it.
   */
  async read(unitId: number, fn: RegisterFunction, address: number, count: number, timeoutMs: number): Promise<ReadResult> {
    if (this.busy) throw new Error(`${this.stream.name}: a second transaction while one is running`);
    this.busy = true;
    try {
      await this.quiet(unitId);
      if (!this.stream.isOpen) throw new ReadError({ kind: 'disconnected', reason: `disconnected: ${this.stream.name} is not open` });
      const request = readRequest(unitId, fn, address, count);
      const expect = expectationFor(unitId, fn, count);
      this.counters.transactions++;
      this.rx = EMPTY;
      this.stream.write(request);
      this.lastTxEnd = performance.now() + this.wireMs(request.length);
      const outcome = await this.collect(expect, count, timeoutMs + this.wireMs(request.length + answerLength(expect)));
      if ('failure' in outcome) {
        if (outcome.unanswered) this.settleUntil.set(unitId, performance.now() + timeoutMs);
        throw new ReadError(outcome.failure);
      }
      return outcome.ok;
    } finally {
      this.busy = false;
    }
  }

  private receive(chunk: Buffer): void {
    this.lastRxAt = performance.now();
    this.chunks++;
    this.rx = this.rx.length === 0 ? chunk : Buffer.concat([this.rx, chunk]);
    if (this.rx.length > MAX_BUFFERED) this.rx = this.rx.subarray(this.rx.length - MAX_BUFFERED);
    this.onReceive?.();
  }

  /**
   * Before a request: bytes that arrived while nobody asked (a late answer to a request that
   * timed out, noise) are dropped and counted as stale, and the line must have been silent for
   * the inter-frame gap since the last byte either way.
   *
   * RTU frames carry no transaction id: a late answer that arrives while the same slave is asked
   * the same shape of question again would pass for the new answer (a wrong value, good quality).
   * So a slave whose request went unanswered is not asked again for another timeout, during
   * which its late answer lands here and is dropped. Other slaves go on at once (the line's
   * scheduler skips a slave that is settlingFor() > 0): a late answer during their transaction
   * carries the wrong unit id and is skipped.
   *
   * The end of that wait is judged by the bytes actually read, not by a timer firing on time: a
   * late answer that reached the port while the event loop was busy is still unread when the
   * overdue timer fires, and would be read right after the next request went out. So before that
   * slave is asked again, the line must also stay silent through a read round (readRound()), a
   * flush of the port's input queue and another read round.
   */
  private async quiet(unitId: number): Promise<void> {
    let confirmed = !this.settleUntil.has(unitId);
    for (;;) {
      if (this.rx.length > 0) {
        this.counters.stale++;
        this.rx = EMPTY;
      }
      const settle = this.settleUntil.get(unitId) ?? 0;
      const wait = Math.max(Math.max(this.lastRxAt, this.lastTxEnd) + this.timing.gapMs, settle) - performance.now();
      if (wait > 0) await sleep(Math.ceil(wait));
      else if (confirmed) break;
      else {
        const seen = this.chunks;
        await readRound();
        if (this.chunks === seen) {
          // What a busy thread pool has not read yet is flushed; a read already under way lands
          // within the second round.
          await this.stream.discardInput();
          await readRound();
        }
        confirmed = this.chunks === seen;
      }
    }
    this.settleUntil.delete(unitId);
  }

  private collect(expect: Expectation, count: number, waitMs: number): Promise<Outcome> {
    return new Promise((resolve) => {
      let anomaly: ReadFailure | undefined;
      const finish = (outcome: Outcome): void => {
        clearTimeout(timer);
        this.onReceive = null;
        this.onLost = null;
        resolve(outcome);
      };
      const note = (kind: GarbageKind, reason: string): ReadFailure => {
        this.counters[kind === 'wrong-unit' ? 'wrongUnit' : kind]++;
        return { kind: 'invalid', garbage: kind, reason: `invalid response: ${reason}` };
      };
      const evaluate = (): void => {
        for (;;) {
          const scan = scanFrame(this.rx, expect);
          if (scan.kind === 'incomplete') return;
          if (scan.kind === 'crc') {
            this.rx = this.rx.subarray(scan.end);
            finish({ failure: note('crc', 'CRC error') });
            return;
          }
          if (scan.start > 0) note('malformed', `${scan.start} stray bytes before the answer`);
          const frame = this.rx.subarray(scan.start, scan.end);
          this.rx = this.rx.subarray(scan.end);
          const verdict = this.judge(frame, expect, count, note);
          if ('anomaly' in verdict) anomaly = verdict.anomaly;
          else {
            finish(verdict);
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        const rest = this.rx;
        // What is left has been judged here; quiet() must not count it again as stale.
        this.rx = EMPTY;
        if (anomaly) finish({ failure: anomaly, unanswered: true });
        else if (rest.length === 0) {
          this.counters.timeouts++;
          finish({ failure: TIMEOUT, unanswered: true });
        } else if (looksTruncated(rest, expect)) {
          finish({ failure: note('truncated', `truncated frame (${rest.length} of ${answerLength(expect)} bytes)`) });
        } else {
          finish({ failure: note('malformed', `${rest.length} bytes that are no Modbus frame`), unanswered: true });
        }
      }, waitMs);
      this.onReceive = evaluate;
      this.onLost = (reason) => finish({ failure: { kind: 'disconnected', reason: `disconnected: ${reason}` } });
      evaluate();
    });
  }

  /**
   * A frame whose CRC holds: the answer (data or exception), or something else that is counted and
   * skipped while the real answer may still come (another slave's frame, a late answer of this
   * slave to an earlier request).
   */
  private judge(
    frame: Buffer,
    expect: Expectation,
    count: number,
    note: (kind: GarbageKind, reason: string) => ReadFailure,
  ): Outcome | { anomaly: ReadFailure } {
    const unit = frame[0]!;
    const fc = frame[1]!;
    if (unit !== expect.unitId) {
      return { anomaly: note('wrong-unit', `answer from unit ${unit}, expected unit ${expect.unitId}`) };
    }
    if (fc === (expect.functionCode | 0x80)) {
      this.counters.answered++;
      this.counters.exceptions++;
      return { failure: exceptionFailure(frame[2]!) };
    }
    if (fc !== expect.functionCode || frame[2] !== expect.byteCount) {
      const got = `function ${fc}, ${frame[2]} bytes`;
      return { anomaly: note('stale', `answer to another request (${got}; expected function ${expect.functionCode}, ${expect.byteCount} bytes)`) };
    }
    this.counters.answered++;
    const data = frame.subarray(3, 3 + expect.byteCount);
    if (expect.functionCode >= 3) return { ok: { bytes: Buffer.from(data) } };
    const bits = new Array<boolean>(count);
    for (let i = 0; i < count; i++) bits[i] = (data[i >>> 3]! & (1 << (i & 7))) !== 0;
    return { ok: { bits } };
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const nextCheck = (): Promise<void> => new Promise((r) => setImmediate(r));
/** Time the thread pool gets to finish a read the port's readiness started; see readRound(). */
const READ_ROUND_MS = 5;

/**
 * Resolves once the bytes that reached the port before the call have been delivered to the
 * stream's data handler. A socket's bytes are read in the event loop's poll phase; serialport's
 * on libuv's thread pool: one poll phase sees the port readable and starts a read, a later one
 * delivers the bytes. A setImmediate callback runs right after a poll phase, so: a poll phase
 * (reads started), time for the pool to finish them, another poll phase (bytes delivered). A
 * stall anywhere in between only adds time; the order holds. What it cannot see: a thread pool
 * kept busy by other work for longer than READ_ROUND_MS.
 */
async function readRound(): Promise<void> {
  await nextCheck();
  await sleep(READ_ROUND_MS);
  await nextCheck();
}
