/** Schema pieces every section shares. */
import { Type } from '@sinclair/typebox';
import { CharacteristicSchema } from '../gateway/calibration/characteristic/characteristic-config.js';

export const Id = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
  description: 'up to 64 letters, digits, "_", "." or "-", starting with a letter or digit (used in MQTT topics and InfluxDB tags)',
});
export const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'a date as YYYY-MM-DD' });
/**
 * The longest delay a Node.js timer takes (2^31−1 ms, ~24.8 days): a longer one is silently cut
 * to 1 ms, so a poll interval of 1e20 would poll a thousand times a second.
 */
export const MAX_TIMER_MS = 2_147_483_647;
/** A millisecond setting that ends up in a timer, bounded to what Node.js timers take. */
export const TimerMs = (opts: { minimum: number; maximum?: number; default?: number; description?: string }) =>
  Type.Integer({ ...opts, maximum: opts.maximum ?? MAX_TIMER_MS });
export const Millis = (def: number, min = 1) => TimerMs({ minimum: min, default: def });
/**
 * Text that becomes an InfluxDB name or tag, or a label on the page: no control characters
 * (a newline ends a line-protocol point) and no backslash (the line protocol's escape).
 */
export const PLAIN_TEXT = '^[^\\\\\\u0000-\\u001f\\u007f]*$';
export const PLAIN_TEXT_DESCRIPTION = 'text without a backslash or control characters (newline, tab, …)';

/**
 * Topics under `$` are the broker's own (`$SYS`, `$share`): MQTT forbids publishing there, and a
 * subscription to `+/…` never sees them.
 */
export const TopicPrefix = Type.String({
  default: 'metrogate',
  pattern: '^[^$#+\\u0000-\\u001f\\u007f][^#+\\u0000-\\u001f\\u007f]*$',
  description: 'topic levels without the MQTT wildcards "#" and "+" or control characters, not starting with "$" (the broker\'s own topics)',
});

/** Fields of every instrument, whatever its protocol; `calibration` is added by config/schema.ts. */
export const instrumentIdentity = {
  id: Id,
  name: Type.Optional(Type.String()),
  lab: Type.Optional(Type.String({ description: 'lab or bench, for grouping' })),
};

/** Fields of every channel, whatever its protocol. */
export const channelIdentity = {
  id: Id,
  quantity: Type.String({ minLength: 1, pattern: PLAIN_TEXT, description: `what is measured, e.g. temperature, pressure, mass: ${PLAIN_TEXT_DESCRIPTION}` }),
  unit: Type.String({ default: '', pattern: PLAIN_TEXT, description: `unit after scaling, e.g. °C, kPa, g, V: ${PLAIN_TEXT_DESCRIPTION}` }),
  /** A sensor read in another quantity (Ω, mV, mA): the device's value becomes `raw`, the measurand `value`. */
  characteristic: Type.Optional(CharacteristicSchema),
};
