/**
 * The configuration file's shape, as a JSON Schema (TypeBox) so that one definition gives the
 * TypeScript types, the validator and the documented schema (config/metrogate.schema.json).
 * Each part lives beside the code it configures (drivers/<protocol>/config.ts,
 * gateway/<part>/...-config.ts); this file composes them. Semantic checks that a schema cannot
 * express (unique ids, date order, register types) live in config/check-semantics.ts.
 */
import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import { ModbusRtuInstrumentFields, ModbusRtuTcpInstrumentFields, ModbusTcpInstrumentFields } from '../drivers/modbus/config.js';
import { OpcuaInstrumentFields } from '../drivers/opcua/config.js';
import { CalibrationSchema, CalibrationSettingsSchema, UncertaintyBudgetSchema } from '../gateway/calibration/calibration-config.js';
import { ApiSchema } from '../gateway/api/api-config.js';
import { SpoolSchema } from '../gateway/spool/spool-config.js';
import { RepairSchema } from '../gateway/repair/repair-config.js';
import { CloudSchema } from '../gateway/sinks/cloud/cloud-config.js';
import { InfluxSchema } from '../gateway/sinks/influx/influx-config.js';
import { MqttSchema } from '../gateway/sinks/mqtt/mqtt-config.js';
import { Id, TimerMs } from './common.js';

export { CalibrationSchema, type CalibrationConfig } from '../gateway/calibration/calibration-config.js';
// The sections' types, for the code that reads them beside their own part (the ingest, repair, API).
export type { MqttConfig } from '../gateway/sinks/mqtt/mqtt-config.js';
export type { InfluxConfig } from '../gateway/sinks/influx/influx-config.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function instrument<P extends TProperties>(fields: P) {
  return Type.Object(
    { ...fields, calibration: Type.Optional(CalibrationSchema), uncertaintyBudget: Type.Optional(Type.Array(UncertaintyBudgetSchema)) },
    { additionalProperties: false },
  );
}

export const ModbusTcpInstrumentSchema = instrument(ModbusTcpInstrumentFields);
export const ModbusRtuInstrumentSchema = instrument(ModbusRtuInstrumentFields);
export const ModbusRtuTcpInstrumentSchema = instrument(ModbusRtuTcpInstrumentFields);
export const OpcuaInstrumentSchema = instrument(OpcuaInstrumentFields);

/**
 * oneOf with a discriminator: Ajv then validates (and fills defaults in) only the branch that the
 * `protocol` names, so a user reads the errors of their own protocol, not of every protocol.
 */
function byProtocol<T extends TObject[]>(branches: [...T]) {
  const protocols = branches.map((b) => (b.properties.protocol as unknown as { const: string }).const);
  return Type.Unsafe<Static<T[number]>>({
    type: 'object',
    required: ['protocol'],
    properties: { protocol: { enum: protocols, description: `one of ${protocols.join(', ')}` } },
    discriminator: { propertyName: 'protocol' },
    oneOf: branches,
  });
}

export const InstrumentSchema = byProtocol([ModbusTcpInstrumentSchema, ModbusRtuInstrumentSchema, ModbusRtuTcpInstrumentSchema, OpcuaInstrumentSchema]);

/** A site id, or `+` for every site. */
const SiteFilter = Type.String({
  pattern: '^(?:\\+|[A-Za-z0-9][A-Za-z0-9_.-]{0,63})$',
  description: 'a site id (letters, digits, "_", "." or "-"; no "/", "#" or "+") or "+" alone for every site',
});
export const IngestSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: false }),
    /** Sites to take in; default every site under the topic prefix. */
    sites: Type.Array(SiteFilter, { default: ['+'], minItems: 1 }),
    /** MQTT 5 shared subscription group: ingesters in one group split the messages between them. */
    group: Type.Optional(Type.String({ pattern: '^[^/#+\\u0000-\\u001f\\u007f]+$', description: 'a topic level without "/", "#", "+" or control characters' })),
    /** How long the broker keeps an ingester's session (and its unacknowledged messages) while it is away. */
    // MQTT 5 carries it in 32 bits; a larger value stalls the broker's CONNACK.
    sessionExpirySeconds: Type.Integer({ minimum: 0, maximum: 4_294_967_295, default: 3600 }),
    /** The window of timestamps the ingest takes: a point re-stamped to 1970 or into a future week is refused (counted, reason `timestamp`). */
    maxAgeDays: Type.Integer({ minimum: 1, maximum: 36_500, default: 400, description: 'refuse readings, events and stats stamped more than this many days before now (raise it to backfill older data)' }),
    maxAheadMinutes: Type.Integer({ minimum: 0, maximum: 525_600, default: 60, description: 'refuse readings, events and stats stamped more than this many minutes after now (device clocks ahead)' }),
    /** End-to-end completeness: find gaps against the gateways' last seqs and have them re-sent. */
    repair: Type.Optional(RepairSchema),
  },
  { additionalProperties: false },
);

export const GatewaySchema = Type.Object(
  {
    id: Type.Optional(Id),
    logLevel: Type.Union(LOG_LEVELS.map((l) => Type.Literal(l)), { default: 'info' }),
    /** How often the gateway publishes its statistics (gateway/stats topic, gateway_stats in InfluxDB). */
    statsIntervalMs: TimerMs({ minimum: 1000, default: 10_000 }),
  },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    site: Id,
    gateway: Type.Optional(GatewaySchema),
    /** The edge broker; optional: a box that writes InfluxDB itself (influx.sink) needs none. */
    mqtt: Type.Optional(MqttSchema),
    influx: Type.Optional(InfluxSchema),
    ingest: Type.Optional(IngestSchema),
    api: Type.Optional(ApiSchema),
    spool: Type.Optional(SpoolSchema),
    cloud: Type.Optional(CloudSchema),
    calibration: Type.Optional(CalibrationSettingsSchema),
    instruments: Type.Array(InstrumentSchema, { default: [] }),
  },
  { additionalProperties: false },
);

export type ModbusTcpInstrumentConfig = Static<typeof ModbusTcpInstrumentSchema>;
export type ModbusRtuInstrumentConfig = Static<typeof ModbusRtuInstrumentSchema>;
export type ModbusRtuTcpInstrumentConfig = Static<typeof ModbusRtuTcpInstrumentSchema>;
export type OpcuaInstrumentConfig = Static<typeof OpcuaInstrumentSchema>;
export type InstrumentConfig = ModbusTcpInstrumentConfig | ModbusRtuInstrumentConfig | ModbusRtuTcpInstrumentConfig | OpcuaInstrumentConfig;
export type IngestConfig = Static<typeof IngestSchema>;
export type MetrogateConfig = Omit<Static<typeof ConfigSchema>, 'instruments'> & { instruments: InstrumentConfig[] };

/** Narrows an instrument to Modbus TCP, for code and tests that only handle that protocol. */
export function asModbusTcp(inst: InstrumentConfig | undefined): ModbusTcpInstrumentConfig {
  if (inst?.protocol !== 'modbus-tcp') throw new Error(`instrument ${inst?.id ?? '(none)'} is not a modbus-tcp instrument`);
  return inst;
}
