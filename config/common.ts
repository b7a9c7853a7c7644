/** Schema pieces every section shares. */
import { Type } from '@sinclair/typebox';

export const Id = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
  description: 'up to 64 letters, digits, "_", "." or "-", starting with a letter or digit (used in MQTT topics and InfluxDB tags)',
});
export const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'a date as YYYY-MM-DD' });
export const Millis = (def: number, min = 1) => Type.Integer({ minimum: min, default: def });

/** Fields of every instrument, whatever its protocol; `calibration` is added by config/schema.ts. */
export const instrumentIdentity = {
  id: Id,
  name: Type.Optional(Type.String()),
  lab: Type.Optional(Type.String({ description: 'lab or bench, for grouping' })),
};

/** Fields of every channel, whatever its protocol. */
export const channelIdentity = {
  id: Id,
  quantity: Type.String({ minLength: 1, description: 'what is measured, e.g. temperature, pressure, mass' }),
  unit: Type.String({ default: '', description: 'unit after scaling, e.g. °C, kPa, g, V' }),
};
