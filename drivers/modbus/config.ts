/** The config schema of Modbus instruments and channels (composed into config/schema.ts). */
import { Type, type Static } from '@sinclair/typebox';
import { channelIdentity, instrumentIdentity, Millis } from '../../config/common.js';

export const REGISTER_TYPES = [
  'bool', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32', 'float64',
] as const;
/** `string(n)`: n ASCII characters, two per register, NUL-padded. */
export const STRING_TYPE = /^string\((\d{1,3})\)$/;
export const BYTE_ORDERS = ['ABCD', 'DCBA', 'BADC', 'CDAB'] as const;
export const FUNCTIONS = ['coil', 'discrete', 'holding', 'input'] as const;

export const ModbusChannelSchema = Type.Object(
  {
    id: channelIdentity.id,
    function: Type.Union(FUNCTIONS.map((f) => Type.Literal(f)), { default: 'holding' }),
    address: Type.Integer({ minimum: 0, maximum: 65535, description: 'zero-based register or bit address' }),
    type: Type.String({
      pattern: `^(${REGISTER_TYPES.join('|')}|string\\(\\d{1,3}\\))$`,
      description: `one of ${REGISTER_TYPES.join(', ')} or string(n)`,
    }),
    order: Type.Union(BYTE_ORDERS.map((o) => Type.Literal(o)), { default: 'ABCD' }),
    scale: Type.Number({ default: 1 }),
    offset: Type.Number({ default: 0 }),
    quantity: channelIdentity.quantity,
    unit: channelIdentity.unit,
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

/** Polling and planning options shared by every Modbus transport. */
export const modbusPolling = {
  pollIntervalMs: Millis(1000, 10),
  /** Planner: registers (or bits) of unused space one read may span to save a round trip. */
  maxGap: Type.Integer({ minimum: 0, maximum: 124, default: 8 }),
  /** Planner: some devices cap a read below the protocol's 125 registers. */
  maxRegistersPerRead: Type.Integer({ minimum: 1, maximum: 125, default: 125 }),
  channels: Type.Array(ModbusChannelSchema, { minItems: 1 }),
};

export const ModbusTcpInstrumentFields = {
  ...instrumentIdentity,
  protocol: Type.Literal('modbus-tcp'),
  connection: ModbusTcpConnectionSchema,
  ...modbusPolling,
};

export type ModbusChannelConfig = Static<typeof ModbusChannelSchema>;
export type RegisterFunction = (typeof FUNCTIONS)[number];
export type ByteOrder = (typeof BYTE_ORDERS)[number];
