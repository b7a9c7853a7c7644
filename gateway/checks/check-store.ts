/**
 * Check results and control-chart state on disk, beside the calibration records' ledger in
 * spirit: `<dir>/<id>.jsonl` (one result a line, appended, never rewritten) and
 * `<dir>/<id>.state.json` (replaced whole through a rename, so a crash leaves the old state or
 * the new one). A restart continues each chart where it stopped.
 */
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, PRIVATE_FILE } from '../private-files.js';
import { parseChart, type ChartState } from './check-chart.js';
import type { CheckResult } from './check-result.js';

export class CheckStore {
  constructor(readonly dir: string) {}

  resultsFile(id: string): string {
    return join(this.dir, `${id}.jsonl`);
  }

  append(result: CheckResult): void {
    ensurePrivateDir(this.dir, 'check results directory');
    appendFileSync(this.resultsFile(result.check), `${JSON.stringify(result)}\n`, { mode: PRIVATE_FILE });
  }

  /** The last `limit` results of a check, oldest first; a torn last line (a crash mid-write) is skipped. */
  results(id: string, limit = 100): CheckResult[] {
    const file = this.resultsFile(id);
    if (!existsSync(file)) return [];
    const out: CheckResult[] = [];
    for (const line of readFileSync(file, 'utf8')
      .split('\n')
      .slice(-limit - 1)) {
      if (!line) continue;
      try {
        out.push(JSON.parse(line) as CheckResult);
      } catch {
        // only the last line can be torn; the others were written whole
      }
    }
    return out.slice(-limit);
  }

  /** The stored chart, null when there is none; throws naming the file when it is unreadable. */
  loadChart(id: string): ChartState | null {
    const file = join(this.dir, `${id}.state.json`);
    if (!existsSync(file)) return null;
    const chart = parseChart(JSON.parse(readFileSync(file, 'utf8')));
    if (!chart) throw new Error(`${file}: not a metrogate control-chart state (expected {"v":1,"n":…,"baseline":[…],"recent":[…],"cusum":{…}})`);
    return chart;
  }

  saveChart(id: string, chart: ChartState): void {
    ensurePrivateDir(this.dir, 'check results directory');
    const file = join(this.dir, `${id}.state.json`);
    writeFileSync(`${file}.tmp`, `${JSON.stringify(chart)}\n`, { mode: PRIVATE_FILE });
    renameSync(`${file}.tmp`, file);
  }
}
