/**
 * The config schema of Modbus instruments and channels, and the types the driver reads them as
 * (config/schema.ts composes the schemas; the semantic check is ./check-config.ts). The channel
 * schema is written once, here, for every Modbus transport.
 */
import { Type, type Static, type TObject } from '@sinclair/typebox';
import { channelIdentity, instrumentIdentity, Millis } from '../../config/common.js';

export const REGISTER_TYPES = ['bool', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32', 'float64'] as const;
/** `string(n)`: n ASCII characters, two per register, NUL-padded. */
export const STRING_TYPE = /^string\((\d{1,3})\)$/;
export const BYTE_ORDERS = ['ABCD', 'DCBA', 'BADC', 'CDAB'] as const;
export const FUNCTIONS = ['coil', 'discrete', 'holding', 'input'] as const;

export const ModbusChannelSchema = Type.Object(
  {
    id: channelIdentity.id,
    function: Type.Union(
      FUNCTIONS.map((f) => Type.Literal(f)),
      { default: 'holding' },
    ),
    address: Type.Integer({ minimum: 0, maximum: 65535, description: 'zero-based register or bit address' }),
    type: Type.String({
      pattern: `^(${REGISTER_TYPES.join('|')}|string\\(\\d{1,3}\\))$`,
      description: `one of ${REGISTER_TYPES.join(', ')} or string(n)`,
    }),
    order: Type.Union(
      BYTE_ORDERS.map((o) => Type.Literal(o)),
      { default: 'ABCD' },
    ),
    scale: Type.Number({ default: 1 }),
    offset: Type.Number({ default: 0 }),
    quantity: channelIdentity.quantity,
    unit: channelIdentity.unit,
    characteristic: channelIdentity.characteristic,
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

/*
 * Serial lines. Several instruments (unit ids) share one line: each instrument names the line by
 * its `port` (or `host` and `port` for RTU over TCP), and the line's settings may be written on
 * any of them (or on all, through a YAML anchor). They carry no schema defaults, so that one
 * instrument can leave a setting out while another gives it: config checks then require that
 * every instrument that gives a setting agrees (drivers/modbus/rtu-lines.ts), and the line fills
 * what nobody gave with the Modbus serial defaults (19200 baud, even parity, 8 data bits, 1 stop bit).
 */
export const PARITIES = ['none', 'even', 'odd'] as const;

const serialTiming = {
  baudRate: Type.Optional(Type.Integer({ minimum: 300, maximum: 4_000_000, description: 'bits per second; default 19200' })),
};

export const SerialLineSchema = Type.Object(
  {
    port: Type.String({ minLength: 1, description: 'serial device, e.g. /dev/ttyUSB0 or /dev/serial/by-id/...' }),
    ...serialTiming,
    parity: Type.Optional(
      Type.Union(
        PARITIES.map((p) => Type.Literal(p)),
        { description: 'none, even or odd; default even' },
      ),
    ),
    dataBits: Type.Optional(Type.Union([Type.Literal(7), Type.Literal(8)], { description: '7 or 8; default 8' })),
    stopBits: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2)], { description: '1 or 2; default 1' })),
  },
  { additionalProperties: false },
);

export const RtuTcpLineSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, description: 'the serial-to-Ethernet converter' }),
    port: Type.Integer({ minimum: 1, maximum: 65535, description: 'its TCP port for this serial line' }),
    // Optional here: the converter times the serial side; given, the gateway keeps the gap too.
    ...serialTiming,
  },
  { additionalProperties: false },
);

/** Options of one slave on a shared line. */
const rtuSlave = {
  /** Required: on a shared line a default unit id would silently read another instrument. */
  unitId: Type.Integer({ minimum: 1, maximum: 247, description: 'Modbus slave address on the line, 1 to 247' }),
  timeoutMs: Millis(500),
  /** A slave that stopped answering is tried again at most this far apart. */
  probeIntervalMs: Millis(10_000, 100),
};

export const ModbusRtuInstrumentFields = {
  ...instrumentIdentity,
  protocol: Type.Literal('modbus-rtu'),
  line: SerialLineSchema,
  ...rtuSlave,
  ...modbusPolling,
};

export const ModbusRtuTcpInstrumentFields = {
  ...instrumentIdentity,
  protocol: Type.Literal('modbus-rtu-tcp'),
  line: RtuTcpLineSchema,
  ...rtuSlave,
  ...modbusPolling,
};

export type ModbusChannelConfig = Static<typeof ModbusChannelSchema>;
export type Parity = (typeof PARITIES)[number];
export type RegisterFunction = (typeof FUNCTIONS)[number];
export type ByteOrder = (typeof BYTE_ORDERS)[number];

/*
 * The driver's view of an instrument: its own fields. The composed config adds calibration and
 * uncertaintyBudget (config/schema.ts); an instrument of the full config is one of these too.
 */
export type ModbusTcpInstrumentConfig = Static<TObject<typeof ModbusTcpInstrumentFields>>;
export type ModbusRtuInstrumentConfig = Static<TObject<typeof ModbusRtuInstrumentFields>>;
export type ModbusRtuTcpInstrumentConfig = Static<TObject<typeof ModbusRtuTcpInstrumentFields>>;
export type ModbusInstrumentConfig = ModbusTcpInstrumentConfig | ModbusRtuInstrumentConfig | ModbusRtuTcpInstrumentConfig;
