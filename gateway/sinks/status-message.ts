import type { WireInstrumentStatus } from '../contract/messages.js';
import { PAYLOAD_VERSION } from './mqtt/payload.js';
import type { InstrumentState } from './sink.js';

/**
 * One instrument's state as the MQTT sink publishes it retained and the ingest role renders it into
 * `instrument_cal`: built in one place, so the direct InfluxDB sink writes the very same points.
 */
export function instrumentStatusMessage(state: InstrumentState, site: string, gateway: string, ts: number): WireInstrumentStatus {
  return {
    v: PAYLOAD_VERSION,
    site,
    gateway,
    instrument: state.instrument,
    online: state.online,
    since: state.since,
    ...(state.error !== undefined ? { error: state.error } : {}),
    ...(state.removed ? { removed: true as const } : {}),
    ts,
    cal: state.cal,
    channels: (state.channels ?? []).map(({ channel, hasRecord, ...cal }) => ({ channel, hasRecord, ...cal })),
  };
}
