/**
 * A stalled event loop on demand, for the RTU tests: the simulated slaves run in the test's own
 * process, so blocking that process right after a slave sent an answer reproduces a gateway that
 * was busy (a long GC, a CPU-starved machine) exactly when a late answer reached its serial port.
 * The bytes are then in the kernel, unread, while the gateway's overdue timers fire.
 */
import type { ModbusDevice } from '../../tools/simulators/modbus/device.js';

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
export function stallAfterAnswers(device: ModbusDevice, ms: number, when: () => boolean): () => number {
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
      queueMicrotask(() => blockEventLoop(ms));
    },
  });
  return () => stalls;
}
