import type { CalTag } from '../reading.js';
import type { ApiDeps, InstrumentInfo } from './api-deps.js';
import type { LatestReadings } from './latest-readings.js';
import type { InstrumentView } from './schemas.js';

/** The calibration tag an instrument has now (not as of its last reading: a quarantine shows at once). */
export function currentCal(deps: ApiDeps, id: string): CalTag {
  return deps.calibration.statusOf(id);
}

export function instrumentView(deps: ApiDeps, latest: LatestReadings, inst: InstrumentInfo): InstrumentView {
  const state = deps.instrumentState(inst.id);
  const channelCal = new Map(deps.calibration.channelStatuses(inst.id).map(({ channel, ...cal }) => [channel, cal]));
  return {
    id: inst.id,
    name: inst.name ?? null,
    lab: inst.lab ?? null,
    protocol: inst.protocol,
    online: state?.online ?? null,
    since: state?.since ?? null,
    error: state?.error ?? null,
    calibration: currentCal(deps, inst.id),
    channels: inst.channels.map((ch) => ({
      id: ch.id,
      quantity: ch.quantity,
      unit: ch.unit,
      latest: latest.latest(inst.id, ch.id),
      trend: latest.trend(inst.id, ch.id),
      calibration: channelCal.get(ch.id)!,
    })),
  };
}
