/**
 * A stalled event loop on demand, for the RTU tests: the simulated slaves run in the test's own
 * process, so blocking that process right after a slave sent an answer reproduces a gateway that
 * was busy (a long GC, a CPU-starved machine) exactly when a late answer reached its serial port.
 * The bytes are then in the kernel, unread, while the gateway's overdue timers fire.
 */
import { execFileSync } from 'node:child_process';
import { close, mkdtempSync, open, openSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModbusDevice } from '../../tools/simulators/modbus/device.js';

/** What follows each answer: a stall of the process, and optionally of libuv's thread pool. */
export interface Stall {
  ms: number;
  /**
   * Also hold libuv's thread pool (all 4 threads) this long from the stall's start: serialport
   * reads the port on that pool, so a read the port's readiness starts waits behind it, as behind
   * a burst of file or crypto work in the gateway.
   */
  threadPoolMs?: number;
}

/** Blocks the event loop (and the whole process) for `ms`, as a busy machine would. */
export function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: nothing else in this process runs meanwhile
  }
}

/**
 * From now on, each answer `device` sends while `when()` holds is followed by a stall of `ms`:
 * the answer's bytes leave the simulator, then the process blocks before anything reads them.
 * Returns how many stalls there were so far (a test checks that it did stall).
 */
export function stallAfterAnswers(device: ModbusDevice, stall: Stall, when: () => boolean): () => number {
  let served = device.served;
  let stalls = 0;
  Object.defineProperty(device, 'served', {
    configurable: true,
    get: () => served,
    set: (n: number) => {
      served = n;
      if (!when()) return;
      stalls++;
      // The simulator counts an answer just before it writes it: the microtask runs after the write.
      queueMicrotask(() => {
        if (stall.threadPoolMs) holdThreadPool(stall.threadPoolMs);
        blockEventLoop(stall.ms);
      });
    },
  });
  return () => stalls;
}

/**
 * Each thread of the pool opens a FIFO for reading, which blocks until a writer opens it: after
 * `ms`, the main thread does, and all four go free at once.
 */
function holdThreadPool(ms: number): void {
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-pool-'));
  const fifo = join(dir, 'hold');
  execFileSync('mkfifo', [fifo]);
  for (let i = 0; i < 4; i++) open(fifo, 'r', (err, fd) => !err && close(fd, () => undefined));
  setTimeout(() => {
    closeSync(openSync(fifo, 'w'));
    rmSync(dir, { recursive: true, force: true });
  }, ms);
}
