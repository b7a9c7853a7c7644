/** The simulated Modbus devices every end-to-end scenario polls, in their own process as users run them. */
import { startNode, type Child } from './children.js';

export interface BenchDevice {
  id: string;
  port: number;
  unitId: number;
}

/**
 * Starts `count` bench devices of `registers` registers each on ephemeral ports (the simulator
 * at `script`). The child joins `children` before it is ready, so a failed start is still stopped.
 */
export async function startBenchSimulator(
  script: string,
  count: number,
  registers: number,
  children: Child[],
): Promise<{ sim: Child; devices: BenchDevice[] }> {
  const sim = startNode(script, ['--bench', String(count), '--base-port', '0', '--registers', String(registers)]);
  children.push(sim);
  const ready = (await sim.waitFor((l) => l.ready === true)) as { devices: BenchDevice[] };
  return { sim, devices: ready.devices };
}
