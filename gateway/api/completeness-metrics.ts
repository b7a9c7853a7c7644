/** Gap repair, both ends: the ingester's resend requests and the gateway's answers from its spool. */
import type { Registry } from 'prom-client';
import type { ApiDeps } from './api-deps.js';
import { type Samples, sourced, sourcedGauge } from './metric-sources.js';

type Completeness = () => NonNullable<ReturnType<NonNullable<ApiDeps['completeness']>>>;

export function completenessMetrics(registry: Registry, deps: ApiDeps): void {
  const completeness: Completeness = () => deps.completeness?.() ?? { gateway: null, ingest: null };
  gapRepairMetrics(registry, completeness);
  resendMetrics(registry, completeness);
}

function gapRepairMetrics(registry: Registry, completeness: Completeness): void {
  const repair = (pick: (s: NonNullable<ReturnType<typeof completeness>['ingest']>) => number) => (): Samples => {
    const r = completeness().ingest;
    return r ? [[{}, pick(r)]] : [];
  };
  sourced(
    registry,
    'metrogate_ingest_gap_requests_total',
    'Resend requests this ingester published for readings missing from InfluxDB.',
    [],
    repair((r) => r.requests),
  );
  sourced(
    registry,
    'metrogate_ingest_gap_readings_requested_total',
    'Readings those resend requests asked for.',
    [],
    repair((r) => r.requestedReadings),
  );
  sourced(
    registry,
    'metrogate_ingest_gap_readings_repaired_total',
    'Readings found missing, asked for, and stored since.',
    [],
    repair((r) => r.repairedReadings),
  );
  sourcedGauge(
    registry,
    'metrogate_ingest_gap_readings_open',
    'Readings missing from InfluxDB now, below a gateway last seq older than the grace period.',
    [],
    repair((r) => r.openReadings),
  );
  sourced(
    registry,
    'metrogate_ingest_gap_readings_lost_total',
    'Readings given up after maxAttempts resend requests (no longer in the gateway spool).',
    [],
    repair((r) => r.lostReadings),
  );
}

function resendMetrics(registry: Registry, completeness: Completeness): void {
  const gw = (pick: (s: NonNullable<ReturnType<typeof completeness>['gateway']>) => number | undefined) => (): Samples => {
    const g = completeness().gateway;
    const v = g ? pick(g) : undefined;
    return v === undefined ? [] : [[{}, v]];
  };
  sourced(
    registry,
    'metrogate_resend_requests_total',
    'Resend requests this gateway received.',
    [],
    gw((g) => g.resends.requests),
  );
  sourced(
    registry,
    'metrogate_resent_readings_total',
    'Readings this gateway published again from its spool on request.',
    [],
    gw((g) => g.resends.resentReadings),
  );
  sourced(
    registry,
    'metrogate_resend_unavailable_readings_total',
    'Readings asked for that the spool no longer held.',
    [],
    gw((g) => g.resends.unavailableReadings),
  );
  sourcedGauge(
    registry,
    'metrogate_spool_retained_readings',
    'Acknowledged readings kept for re-sending (spool.retainAckedHours).',
    [],
    gw((g) => g.retention?.readings),
  );
  sourced(
    registry,
    'metrogate_spool_retention_evicted_total',
    'Acknowledged readings the quota removed before their retention ended.',
    [],
    gw((g) => g.retention?.evictedByQuota),
  );
}
