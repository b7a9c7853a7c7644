/**
 * The configuration file's shape, as a JSON Schema (TypeBox) so that one definition gives the
 * TypeScript types, the validator and the documented schema (config/metrogate.schema.json).
 * Semantic checks that a schema cannot express (unique ids, date order, register overlap) live in
 * config/check-semantics.ts.
 */
import { Type, type Static } from '@sinclair/typebox';

const Id = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
  description: 'up to 64 letters, digits, "_", "." or "-", starting with a letter or digit (used in MQTT topics and InfluxDB tags)',
});
const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'a date as YYYY-MM-DD' });
const Millis = (def: number, min = 1) => Type.Integer({ minimum: min, default: def });

export const REGISTER_TYPES = [
  'bool', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32', 'float64',
] as const;
/** `string(n)`: n ASCII characters, two per register, NUL-padded. */
export const STRING_TYPE = /^string\((\d{1,3})\)$/;
export const BYTE_ORDERS = ['ABCD', 'DCBA', 'BADC', 'CDAB'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const FUNCTIONS = ['coil', 'discrete', 'holding', 'input'] as const;

export const ChannelSchema = Type.Object(
  {
    id: Id,
    function: Type.Union(FUNCTIONS.map((f) => Type.Literal(f)), { default: 'holding' }),
    address: Type.Integer({ minimum: 0, maximum: 65535, description: 'zero-based register or bit address' }),
    type: Type.String({
      pattern: `^(${REGISTER_TYPES.join('|')}|string\\(\\d{1,3}\\))$`,
      description: `one of ${REGISTER_TYPES.join(', ')} or string(n)`,
    }),
    order: Type.Union(BYTE_ORDERS.map((o) => Type.Literal(o)), { default: 'ABCD' }),
    scale: Type.Number({ default: 1 }),
    offset: Type.Number({ default: 0 }),
    quantity: Type.String({ minLength: 1, description: 'what is measured, e.g. temperature, pressure, mass' }),
    unit: Type.String({ default: '', description: 'unit after scaling, e.g. °C, kPa, g, V' }),
  },
  { additionalProperties: false },
);

export const CalibrationSchema = Type.Object(
  {
    certificate: Type.String({ minLength: 1 }),
    calibrated: IsoDate,
    due: Type.Optional(IsoDate),
    intervalMonths: Type.Optional(Type.Integer({ minimum: 1, maximum: 240 })),
    laboratory: Type.Optional(Type.String()),
    /** Share of the interval after which the status turns due_soon (0.9 = last 10 %). */
    dueSoonShare: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 })),
    /** Or: this many days before the due date. When both are set, whichever comes first. */
    dueSoonDays: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);

export const ModbusTcpConnectionSchema = Type.Object(
  {
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 502 }),
    unitId: Type.Integer({ minimum: 0, maximum: 255, default: 1 }),
    timeoutMs: Millis(1000),
  },
  { additionalProperties: false },
);

export const InstrumentSchema = Type.Object(
  {
    id: Id,
    name: Type.Optional(Type.String()),
    lab: Type.Optional(Type.String({ description: 'lab or bench, for grouping' })),
    protocol: Type.Literal('modbus-tcp'),
    connection: ModbusTcpConnectionSchema,
    pollIntervalMs: Millis(1000, 10),
    /** Planner: registers (or bits) of unused space one read may span to save a round trip. */
    maxGap: Type.Integer({ minimum: 0, maximum: 124, default: 8 }),
    /** Planner: some devices cap a read below the protocol's 125 registers. */
    maxRegistersPerRead: Type.Integer({ minimum: 1, maximum: 125, default: 125 }),
    channels: Type.Array(ChannelSchema, { minItems: 1 }),
    calibration: Type.Optional(CalibrationSchema),
  },
  { additionalProperties: false },
);

export const MqttSchema = Type.Object(
  {
    url: Type.String({ pattern: '^(mqtts?|wss?|tcp)://', description: 'mqtt://host:port or mqtts://host:port' }),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
    clientId: Type.Optional(Type.String()),
    topicPrefix: Type.String({ default: 'metrogate', pattern: '^[^#+]+$', description: 'a topic level without the MQTT wildcards "#" and "+"' }),
    qos: Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)], { default: 1 }),
    /** Publishes awaiting PUBACK at once; beyond it the pipeline waits (backpressure). */
    maxInFlight: Type.Integer({ minimum: 1, maximum: 65535, default: 256 }),
  },
  { additionalProperties: false },
);

export const InfluxSchema = Type.Object(
  {
    url: Type.String({ pattern: '^https?://', description: 'http://host:port or https://host:port' }),
    database: Type.String({ default: 'metrogate', minLength: 1 }),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
    measurement: Type.String({ default: 'reading', minLength: 1 }),
    batchSize: Type.Integer({ minimum: 1, maximum: 100000, default: 5000 }),
    flushIntervalMs: Millis(1000),
  },
  { additionalProperties: false },
);

export const IngestSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: false }),
    /** Sites to take in; default every site under the topic prefix. */
    sites: Type.Array(Type.String(), { default: ['+'] }),
  },
  { additionalProperties: false },
);

export const GatewaySchema = Type.Object(
  {
    id: Type.Optional(Id),
    logLevel: Type.Union(LOG_LEVELS.map((l) => Type.Literal(l)), { default: 'info' }),
  },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    site: Id,
    gateway: Type.Optional(GatewaySchema),
    mqtt: MqttSchema,
    influx: Type.Optional(InfluxSchema),
    ingest: Type.Optional(IngestSchema),
    instruments: Type.Array(InstrumentSchema, { default: [] }),
  },
  { additionalProperties: false },
);

export type ChannelConfig = Static<typeof ChannelSchema>;
export type CalibrationConfig = Static<typeof CalibrationSchema>;
export type InstrumentConfig = Static<typeof InstrumentSchema>;
export type MqttConfig = Static<typeof MqttSchema>;
export type InfluxConfig = Static<typeof InfluxSchema>;
export type IngestConfig = Static<typeof IngestSchema>;
export type MetrogateConfig = Static<typeof ConfigSchema>;
export type RegisterFunction = (typeof FUNCTIONS)[number];
export type ByteOrder = (typeof BYTE_ORDERS)[number];
