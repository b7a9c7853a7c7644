/**
 * `metrogate check record ID` and `metrogate check list`: an operator's check-standard result goes
 * to the running gateway through its API, not into the store directly: the gateway owns the
 * control chart and the quarantine, so a result written beside it would race its chart state on
 * disk and quarantine nothing until a restart. Through the API it is judged, charted, published
 * and, when it fails, quarantines the instrument at once.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/load-config.js';
import type { CheckResult } from '../checks/check-result.js';
import type { CheckSummary } from '../checks/check-service.js';

export const CHECK_USAGE = `Usage:
  metrogate check record ID --config FILE [--measured VALUE] [--by NAME] [--url URL]
      Record a check-standard result with the running gateway (POST /api/checks/ID/results):
      VALUE is the indication on the check standard (default: the channel's latest reading).
      Prints the verdict; exit 0 when it passed, 3 when it failed or tripped a rule (the
      gateway quarantines the instrument when its config says so), 2 when refused.
      The token is api.token of the config (or METROGATE_API_TOKEN).
  metrogate check list --config FILE [--url URL]
      Every check with its control-chart state and last result.`;

const fmt = (n: number | null) => (n === null ? '—' : Number(n.toPrecision(6)).toString());

function line(r: CheckResult): string {
  return (
    `${r.check} #${r.n} ${r.instrument}.${r.channel}: ${r.verdict.toUpperCase()} ${r.rule} ${fmt(r.score)} (limit ${fmt(r.limit)}), ` +
    `measured ${fmt(r.measured)} vs reference ${fmt(r.reference)} ± ${fmt(r.referenceU)}` +
    `${r.tripped.length ? `; tripped ${r.tripped.join(', ')}` : ''}${r.quarantined ? `; ${r.instrument} QUARANTINED` : ''}`
  );
}

export async function runCheckCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'record' && sub !== 'list') {
    console.error(`metrogate check: ${sub === undefined || sub === '--help' || sub === '-h' ? '' : `unknown subcommand "${sub}"\n\n`}${CHECK_USAGE}`);
    return sub === '--help' || sub === '-h' ? 0 : 2;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { config: { type: 'string', short: 'c' }, measured: { type: 'string' }, by: { type: 'string' }, url: { type: 'string' } },
  });
  if (!values.config) {
    console.error(`metrogate check ${sub}: give --config FILE (the gateway's config: where its API listens, its token)\n\n${CHECK_USAGE}`);
    return 2;
  }
  const config = loadConfig(values.config);
  const host = config.api?.host ?? '127.0.0.1';
  const base = values.url ?? `http://${host === '0.0.0.0' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host}:${config.api?.port ?? 8080}`;
  if (sub === 'list') {
    const res = await fetch(new URL('/api/checks', base));
    if (!res.ok) return failed(res);
    for (const c of ((await res.json()) as { checks: CheckSummary[] }).checks) {
      console.log(
        `${c.id} (${c.kind}) ${c.instrument}.${c.channel}: ${c.chart.n} results, limits ${c.chart.limitsFrom ?? 'not yet'}${c.chart.centre !== null ? ` ${fmt(c.chart.centre)} ± 3·${fmt(c.chart.sigma)}` : ''}, CUSUM +${fmt(c.chart.cusumHigh)} −${fmt(c.chart.cusumLow)}`,
      );
      if (c.last) console.log(`  last: ${line(c.last)}`);
    }
    return 0;
  }
  const id = positionals[0];
  if (!id) {
    console.error(`metrogate check record: give the check's id\n\n${CHECK_USAGE}`);
    return 2;
  }
  const measured = values.measured === undefined ? undefined : Number(values.measured);
  if (measured !== undefined && !Number.isFinite(measured)) {
    console.error(`metrogate check record: --measured "${values.measured}" is not a number`);
    return 2;
  }
  const token = config.api?.token || process.env.METROGATE_API_TOKEN || '';
  const res = await fetch(new URL(`/api/checks/${encodeURIComponent(id)}/results`, base), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ ...(measured !== undefined && { measured }), ...(values.by && { by: values.by }) }),
  });
  if (!res.ok) return failed(res);
  const result = (await res.json()) as CheckResult;
  console.log(line(result));
  return result.verdict === 'fail' || result.tripped.length > 0 ? 3 : 0;
}

async function failed(res: Response): Promise<number> {
  const body = (await res.json().catch(() => ({}))) as { message?: string };
  console.error(`metrogate check: the gateway answered ${res.status}: ${body.message ?? res.statusText}`);
  return res.status >= 500 ? 1 : 2;
}
