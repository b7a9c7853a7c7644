import { readFileSync } from 'node:fs';

const CLK_TCK = 100; // Linux USER_HZ; stable across x86_64 and arm64 kernels

/** CPU seconds in user and system mode a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name, which may itself contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / CLK_TCK, system: Number(fields[12]) / CLK_TCK };
}

/** Resident set size now and at its peak, in MB, from /proc/<pid>/status. */
export function memoryMB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** Samples a process's CPU over a window and its RSS each second. */
export class ProcessMeter {
  private cpu0 = { user: 0, system: 0 };
  private t0 = 0;
  private maxRss = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(readonly pid: number) {}

  begin(): void {
    this.cpu0 = cpuSeconds(this.pid);
    this.t0 = performance.now();
    this.maxRss = memoryMB(this.pid).rss;
    this.timer = setInterval(() => (this.maxRss = Math.max(this.maxRss, memoryMB(this.pid).rss)), 1000);
  }

  /** coreShare = CPU seconds per second (1.0 = one core busy), split into user and system. */
  end(): { coreShare: number; userShare: number; systemShare: number; maxRssMB: number; peakRssMB: number } {
    if (this.timer) clearInterval(this.timer);
    const seconds = (performance.now() - this.t0) / 1000;
    const mem = memoryMB(this.pid);
    const cpu = cpuSeconds(this.pid);
    const userShare = (cpu.user - this.cpu0.user) / seconds;
    const systemShare = (cpu.system - this.cpu0.system) / seconds;
    return { coreShare: userShare + systemShare, userShare, systemShare, maxRssMB: Math.max(this.maxRss, mem.rss), peakRssMB: mem.peak };
  }
}
