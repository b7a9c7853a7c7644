import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { ApiDeps } from './api-deps.js';
import { completenessMetrics } from './completeness-metrics.js';
import { type Labels, type Samples, sourced, sourcedGauge } from './metric-sources.js';
import type { SseStats } from './sse-hub.js';

export interface GatewayMetrics {
  registry: Registry;
  /** Stops observing live batches. */
  close(): void;
}

/** Cycle durations range from a fast LAN device (ms) to a slow serial bus (s). */
const CYCLE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The gateway's own registry (never prom-client's global one, so two gateways in a process never meet). */
export function gatewayMetrics(deps: ApiDeps, sse: () => SseStats): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  instrumentMetrics(registry, deps);
  sinkMetrics(registry, deps);
  ingestMetrics(registry, deps);
  ingestListeningMetrics(registry, deps);
  completenessMetrics(registry, deps);
  spoolMetrics(registry, deps);
  sourcedGauge(registry, 'metrogate_api_stream_clients', 'Connected live-stream (SSE) clients.', [], () => [[{}, sse().clients]]);
  sourced(registry, 'metrogate_api_stream_clients_dropped_total', 'Stream clients dropped for reading too slowly.', [], () => [[{}, sse().dropped]]);
  return { registry, close: observeCycles(registry, deps) };
}

/** Per instrument: what the drivers polled and how the device answered. */
function instrumentMetrics(registry: Registry, deps: ApiDeps): void {
  // Read at every scrape: a hot reload adds and removes instruments.
  const ids = () => deps.instruments.map((i) => i.id);
  const perInstrument = (pick: (id: string) => number | undefined): Samples =>
    ids().flatMap((id): [Labels, number][] => {
      const v = pick(id);
      return v === undefined ? [] : [[{ instrument: id }, v]];
    });
  const driver = (pick: 'polls' | 'errors' | 'timeouts' | 'skippedCycles'): Samples =>
    deps.driverStats().map((s): [Labels, number] => [{ instrument: s.instrument }, s[pick]]);

  sourced(registry, 'metrogate_readings_polled_total', 'Readings produced by the drivers (good and bad).', ['instrument'], () =>
    perInstrument((id) => deps.counters(id)?.polled),
  );
  sourced(registry, 'metrogate_readings_not_good_total', 'Polled readings whose quality was not good.', ['instrument'], () =>
    perInstrument((id) => deps.counters(id)?.notGood),
  );
  sourced(registry, 'metrogate_polls_total', 'Poll cycles started.', ['instrument'], () => driver('polls'));
  sourced(registry, 'metrogate_poll_errors_total', 'Failed device reads (timeouts, exceptions, disconnections).', ['instrument'], () => driver('errors'));
  sourced(registry, 'metrogate_poll_timeouts_total', 'Device reads that timed out.', ['instrument'], () => driver('timeouts'));
  sourced(registry, 'metrogate_poll_skipped_cycles_total', 'Poll cycles skipped because the previous one overran.', ['instrument'], () =>
    driver('skippedCycles'),
  );
  sourcedGauge(registry, 'metrogate_instrument_online', '1 while the device answers, 0 while not; absent before the first attempt.', ['instrument'], () =>
    perInstrument((id) => {
      const s = deps.instrumentState(id);
      return s === undefined ? undefined : s.online ? 1 : 0;
    }),
  );
}

/** Per sink: what it took or dropped of each instrument, and whether it reaches its destination. */
function sinkMetrics(registry: Registry, deps: ApiDeps): void {
  const perSink = (pick: 'delivered' | 'dropped'): Samples =>
    deps.instruments.flatMap((i) => Object.entries(deps.counters(i.id)?.[pick] ?? {}).map(([sink, v]): [Labels, number] => [{ instrument: i.id, sink }, v]));
  sourced(registry, 'metrogate_readings_published_total', 'Readings acknowledged by a sink (MQTT: PUBACK).', ['instrument', 'sink'], () =>
    perSink('delivered'),
  );
  sourced(registry, 'metrogate_readings_dropped_total', 'Readings a sink could not take.', ['instrument', 'sink'], () => perSink('dropped'));
  sourcedGauge(registry, 'metrogate_sink_connected', '1 while the sink reaches its destination.', ['sink'], () =>
    deps.sinks().map((s): [Labels, number] => [{ sink: s.name }, s.connected ? 1 : 0]),
  );
  sourced(
    registry,
    'metrogate_sink_no_subscribers_total',
    'Publishes the broker acknowledged with reason 16 (no matching subscribers): not delivered, sent again (mqtt.requireSubscribers).',
    ['sink'],
    () => deps.sinks().flatMap((s): [Labels, number][] => (s.noSubscribers === undefined ? [] : [[{ sink: s.name }, s.noSubscribers]])),
  );
}

type IngestView = NonNullable<ReturnType<ApiDeps['ingest']>>;

/** The ingest role's writes and refusals (no samples without the role). */
function ingestMetrics(registry: Registry, deps: ApiDeps): void {
  const ingest = (pick: (s: IngestView['stats']) => number) => (): Samples => {
    const i = deps.ingest();
    return i ? [[{ database: i.database }, pick(i.stats)]] : [];
  };
  sourced(
    registry,
    'metrogate_ingest_messages_total',
    'Data messages the ingest role received.',
    ['database'],
    ingest((s) => s.messages),
  );
  sourced(
    registry,
    'metrogate_ingest_points_written_total',
    'Points the ingest role wrote to InfluxDB (readings, calibration events, gateway statistics; a message the broker redelivers counts again).',
    ['database'],
    ingest((s) => s.points),
  );
  sourced(
    registry,
    'metrogate_ingest_write_errors_total',
    'InfluxDB writes that failed and were retried.',
    ['database'],
    ingest((s) => s.writeErrors),
  );
  sourced(
    registry,
    'metrogate_ingest_rejected_messages_total',
    'Messages the ingest refused (nothing of them stored), by reason: too_large, not_json, schema, timestamp, topic_identity, topic, unrenderable.',
    ['database', 'reason'],
    () => {
      const i = deps.ingest();
      return i ? Object.entries(i.stats.rejectedByReason).map(([reason, n]): [Labels, number] => [{ database: i.database, reason }, n]) : [];
    },
  );
  sourced(
    registry,
    'metrogate_ingest_rejected_points_total',
    'Lines InfluxDB refused on their own (400); the rest of their request was stored.',
    ['database'],
    ingest((s) => s.rejectedPoints),
  );
}

/** Whether the ingest role hears the broker: subscriptions, deafness, lost sessions. */
function ingestListeningMetrics(registry: Registry, deps: ApiDeps): void {
  const hearing = (pick: (l: NonNullable<IngestView['listening']>) => number) => (): Samples => {
    const i = deps.ingest();
    return i?.listening ? [[{ database: i.database }, pick(i.listening)]] : [];
  };
  sourcedGauge(
    registry,
    'metrogate_ingest_subscribed',
    '1 while every subscription of the ingest is granted as asked on the current connection.',
    ['database'],
    hearing((l) => (l.subscribed ? 1 : 0)),
  );
  sourcedGauge(
    registry,
    'metrogate_ingest_subscription_problems',
    'Subscriptions the broker refused or granted below QoS 1 on the last SUBACK.',
    ['database'],
    hearing((l) => l.problems.filter((p) => p.reasonCode !== -1).length),
  );
  sourcedGauge(
    registry,
    'metrogate_ingest_deaf',
    '1 while gateways report polling and no data message reaches this ingester.',
    ['database'],
    hearing((l) => (l.deaf ? 1 : 0)),
  );
  sourced(
    registry,
    'metrogate_ingest_deaf_episodes_total',
    'Times the ingester became deaf (connected, gateways polling, no data).',
    ['database'],
    hearing((l) => l.episodes),
  );
  sourced(
    registry,
    'metrogate_ingest_sessions_lost_total',
    'Reconnections on which the broker had lost the ingest session (and what it queued).',
    ['database'],
    hearing((l) => l.sessionsLost),
  );
  sourcedGauge(
    registry,
    'metrogate_ingest_broker_drops_shared_subscriptions',
    '1 when the broker was last seen restoring sessions without their $share subscriptions across a restart.',
    ['database'],
    hearing((l) => (l.sharedSubscriptionsAcrossRestart === 'subscription-lost' ? 1 : 0)),
  );
}

/** Gap repair: the ingester's resend requests and the gateway's answers from its spool. */
/** Per sink's spool cursor: what waits, for how long, and what the quota dropped. */
function spoolMetrics(registry: Registry, deps: ApiDeps): void {
  const spools = () => deps.spools();
  sourcedGauge(registry, 'metrogate_spool_depth', 'Readings spooled and not yet acknowledged by the sink.', ['sink'], () =>
    spools().map((s): [Labels, number] => [{ sink: s.sink }, s.depth]),
  );
  sourcedGauge(registry, 'metrogate_spool_oldest_age_seconds', 'Age of the oldest unacknowledged reading (0 when empty).', ['sink'], () =>
    spools().map((s): [Labels, number] => [{ sink: s.sink }, s.oldestAgeMs / 1000]),
  );
  sourced(registry, 'metrogate_spool_dropped_total', 'Readings dropped because the spool reached its disk quota.', ['sink'], () =>
    spools().map((s): [Labels, number] => [{ sink: s.sink }, s.dropped]),
  );
}

/** The poll cycle histogram, fed by live batches; returns the unsubscribe. */
function observeCycles(registry: Registry, deps: ApiDeps): () => void {
  const cycle = new Histogram({
    name: 'metrogate_poll_cycle_duration_seconds',
    help: 'Duration of each completed poll cycle, all instruments.',
    buckets: CYCLE_BUCKETS,
    registers: [registry],
  });
  // A driver sets lastCycleMs just before it hands the cycle's batch over, so reading it here
  // observes every cycle exactly once.
  return deps.onReadings((batch) => {
    const ms = deps.lastCycleMs(batch.instrument);
    if (ms !== undefined) cycle.observe(ms / 1000);
  });
}
