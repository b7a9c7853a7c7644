/**
 * The configuration file's shape, as a JSON Schema (TypeBox) so that one definition gives the
 * TypeScript types, the validator and the documented schema (config/metrogate.schema.json).
 * Each part's schema lives beside the code it configures (drivers/<protocol>/config.ts,
 * gateway/sinks/<sink>/…-config.ts, gateway/<part>/…-config.ts); this file only composes them:
 * the sections, and the instrument union by protocol with what every instrument carries
 * (calibration, uncertaintyBudget). Semantic checks are composed in config/check-semantics.ts.
 */
import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import { ModbusRtuInstrumentFields, ModbusRtuTcpInstrumentFields, ModbusTcpInstrumentFields } from '../drivers/modbus/config.js';
import { OpcuaInstrumentFields } from '../drivers/opcua/config.js';
import { CalibrationSchema, CalibrationSettingsSchema, UncertaintyBudgetSchema } from '../gateway/calibration/calibration-config.js';
import { ChecksSchema } from '../gateway/checks/check-config.js';
import { ApiSchema } from '../gateway/api/api-config.js';
import { SpoolSchema } from '../gateway/spool/spool-config.js';
import { IngestSchema } from '../gateway/ingest/ingest-config.js';
import { GatewaySchema } from '../gateway/gateway-config.js';
import { CloudSchema } from '../gateway/sinks/cloud/cloud-config.js';
import { InfluxSchema } from '../gateway/sinks/influx/influx-config.js';
import { MqttSchema } from '../gateway/sinks/mqtt/mqtt-config.js';
import { Id } from './common.js';

export { CalibrationSchema, type CalibrationConfig } from '../gateway/calibration/calibration-config.js';
// The sections' types, for the code that reads them beside their own part (the ingest, repair, API).
export type { MqttConfig } from '../gateway/sinks/mqtt/mqtt-config.js';
export type { InfluxConfig } from '../gateway/sinks/influx/influx-config.js';
export type { IngestConfig } from '../gateway/ingest/ingest-config.js';

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
    /** Intermediate checks between calibrations (gateway/checks/check-config.ts). */
    checks: Type.Optional(ChecksSchema),
    instruments: Type.Array(InstrumentSchema, { default: [] }),
  },
  { additionalProperties: false },
);

export type ModbusTcpInstrumentConfig = Static<typeof ModbusTcpInstrumentSchema>;
export type ModbusRtuInstrumentConfig = Static<typeof ModbusRtuInstrumentSchema>;
export type ModbusRtuTcpInstrumentConfig = Static<typeof ModbusRtuTcpInstrumentSchema>;
export type OpcuaInstrumentConfig = Static<typeof OpcuaInstrumentSchema>;
export type InstrumentConfig = ModbusTcpInstrumentConfig | ModbusRtuInstrumentConfig | ModbusRtuTcpInstrumentConfig | OpcuaInstrumentConfig;
export type MetrogateConfig = Omit<Static<typeof ConfigSchema>, 'instruments'> & { instruments: InstrumentConfig[] };

/** Narrows an instrument to Modbus TCP, for code and tests that only handle that protocol. */
export function asModbusTcp(inst: InstrumentConfig | undefined): ModbusTcpInstrumentConfig {
  if (inst?.protocol !== 'modbus-tcp') throw new Error(`instrument ${inst?.id ?? '(none)'} is not a modbus-tcp instrument`);
  return inst;
}
