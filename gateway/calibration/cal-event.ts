import type { CalEvent } from '../contract/messages.js';

/**
 * A calibration event: a status transition (by time, by a new record, by hand), a finding that
 * past readings are suspect (a new certificate's as-found data failed), or, after a suspect
 * finding, where the owning gateway wrote its impact report, or an intermediate check's result
 * (`check`, gateway/checks/). Published on
 * `<prefix>/<site>/<gateway>/<instrument>/event`, written to InfluxDB (`cal_event`) for Grafana annotations.
 * Its shape is the contract's (gateway/contract/messages.ts; published as
 * gateway/schemas/cal-event.schema.json).
 */
export type { CalEvent } from '../contract/messages.js';

export type CalEventListener = (event: CalEvent) => void;
