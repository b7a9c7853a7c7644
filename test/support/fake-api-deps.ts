/**
 * ApiDeps for tests of the HTTP layer alone (routes, schemas, auth, documents): what the API reads
 * of a gateway, held in memory, with the calls it makes recorded. Tests that check values a real
 * gateway produced stay end to end (test/e2e/api-lab-user.test.ts, api-operations.test.ts).
 */
import type { ApiDeps, InstrumentInfo, Phase } from '../../gateway/api/api-deps.js';
import type { CalibrationService, ManualStatusChange } from '../../gateway/calibration/calibration-service.js';
import type { CalibrationRecord } from '../../gateway/calibration/record.js';
import type { CalTag } from '../../gateway/reading.js';

export interface FakeApiDeps extends ApiDeps {
  /** Records the API handed to the calibration service. */
  readonly added: CalibrationRecord[];
  /** Manual status changes the API asked for. */
  readonly statusChanges: ManualStatusChange[];
  setPhase(phase: Phase): void;
}

const UNCALIBRATED: CalTag = { status: 'uncalibrated', certificate: null, due: null, daysToDue: null, traceable: false };

/** A gateway of `instruments` that has read nothing yet, with no sinks and no ingest role. */
export function fakeApiDeps(instruments: readonly InstrumentInfo[], opts: { site?: string; gatewayId?: string } = {}): FakeApiDeps {
  const added: CalibrationRecord[] = [];
  const statusChanges: ManualStatusChange[] = [];
  let phase: Phase = 'running';
  const calibration: CalibrationService = {
    records: (instrument) => added.filter((r) => instrument === undefined || r.instrument === instrument),
    statusOf: () => UNCALIBRATED,
    channelStatuses: (instrument) =>
      (instruments.find((i) => i.id === instrument)?.channels ?? []).map((c) => ({ ...UNCALIBRATED, channel: c.id, hasRecord: false })),
    addRecord: async (record) => {
      if (added.some((r) => r.instrument === record.instrument && r.certificate === record.certificate)) {
        throw new Error(`certificate ${record.certificate} is already recorded for ${record.instrument}`);
      }
      added.push(record);
    },
    setManualStatus: (change) => void statusChanges.push(change),
  };
  return {
    site: opts.site ?? 'lab',
    gatewayId: opts.gatewayId ?? 'fake-gw',
    instruments,
    onInstrumentsChanged: () => () => undefined,
    onReadings: () => () => undefined,
    counters: () => undefined,
    instrumentState: () => undefined,
    driverStats: () => [],
    lastCycleMs: () => undefined,
    sinks: () => [],
    ingest: () => null,
    spools: () => [],
    calibration,
    phase: () => phase,
    added,
    statusChanges,
    setPhase: (p) => void (phase = p),
  };
}
