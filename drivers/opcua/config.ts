/**
 * The config schema of OPC UA instruments and channels, and the types the driver reads them as
 * (config/schema.ts composes the schemas; the semantic check is ./check-config.ts).
 */
import { Type, type Static, type TLiteral, type TObject, type TUnion } from '@sinclair/typebox';
import type { CalibrationConfig } from '../../gateway/calibration/calibration-config.js';
import { channelIdentity, instrumentIdentity, Millis, MAX_TIMER_MS, TimerMs } from '../../config/common.js';

export const SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
export const SECURITY_POLICIES = ['Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'] as const;
/** Where a reading's `ts` comes from: the device's clock, the server's, or the gateway's receive time. */
export const TIMESTAMP_SOURCES = ['source', 'server', 'gateway'] as const;
export const READ_MODES = ['subscribe', 'poll'] as const;
export const DEADBAND_TYPES = ['none', 'absolute', 'percent'] as const;

function literals<T extends string>(values: readonly T[], def?: T): TUnion<TLiteral<T>[]> {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    def === undefined ? {} : { default: def },
  );
}

export const NodeIdString = Type.String({
  pattern: '^(ns=\\d+;)?(i=\\d+|s=.+|g=[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|b=[A-Za-z0-9+/=]+)$',
  description: 'an OPC UA NodeId such as ns=2;s=Bath.Temperature or ns=3;i=1001',
});

export const DeadbandSchema = Type.Object(
  {
    type: literals(DEADBAND_TYPES, 'none'),
    /** absolute: in the value's unit; percent: of the node's EURange (0 to 100). */
    value: Type.Number({ minimum: 0, default: 0 }),
  },
  { additionalProperties: false },
);

/** Per channel, overriding the instrument's setting. */
const monitoring = {
  samplingIntervalMs: TimerMs({ minimum: 0, description: '0 asks the server for its fastest rate' }),
  queueSize: Type.Integer({ minimum: 1, maximum: 10000 }),
  deadband: DeadbandSchema,
};

export const OpcuaChannelSchema = Type.Object(
  {
    id: channelIdentity.id,
    nodeId: NodeIdString,
    read: Type.Optional(literals(READ_MODES)),
    samplingIntervalMs: Type.Optional(monitoring.samplingIntervalMs),
    queueSize: Type.Optional(monitoring.queueSize),
    deadband: Type.Optional(monitoring.deadband),
    quantity: channelIdentity.quantity,
    unit: channelIdentity.unit,
    characteristic: channelIdentity.characteristic,
  },
  { additionalProperties: false },
);

export const SecuritySchema = Type.Object(
  {
    mode: literals(SECURITY_MODES, 'None'),
    /** Ignored with mode None. */
    policy: literals(SECURITY_POLICIES, 'Basic256Sha256'),
    /** The gateway's certificate and its trust store; created on first start. */
    pkiDir: Type.String({ minLength: 1, default: './pki' }),
  },
  { additionalProperties: false },
);

const AnonymousAuth = Type.Object({ type: Type.Literal('anonymous') }, { additionalProperties: false });
const UsernameAuth = Type.Object(
  { type: Type.Literal('username'), username: Type.String({ minLength: 1 }), password: Type.String() },
  { additionalProperties: false },
);
const CertificateAuth = Type.Object(
  {
    type: Type.Literal('certificate'),
    certificate: Type.String({ minLength: 1, description: 'PEM or DER file of the X.509 user certificate' }),
    privateKey: Type.String({ minLength: 1, description: 'PEM file of its private key' }),
  },
  { additionalProperties: false },
);

/** Like the instrument union: Ajv reports the errors of the branch `type` names only. */
function byType<T extends TObject[]>(branches: [...T]) {
  const types = branches.map((b) => (b.properties.type as unknown as { const: string }).const);
  return Type.Unsafe<Static<T[number]>>({
    type: 'object',
    required: ['type'],
    properties: { type: { enum: types, description: `one of ${types.join(', ')}` } },
    discriminator: { propertyName: 'type' },
    oneOf: branches,
  });
}

export const AuthSchema = byType([AnonymousAuth, UsernameAuth, CertificateAuth]);

export const SubscriptionSchema = Type.Object(
  {
    publishingIntervalMs: Millis(1000, 10),
    samplingIntervalMs: TimerMs({ minimum: 0, default: 1000, description: '0 asks the server for its fastest rate' }),
    queueSize: Type.Integer({ minimum: 1, maximum: 10000, default: 1 }),
    deadband: Type.Optional(DeadbandSchema),
    /** Servers often cap monitored items per subscription (commonly 1000); more items open more subscriptions. */
    maxItemsPerSubscription: Type.Integer({ minimum: 1, default: 1000 }),
  },
  { additionalProperties: false },
);

export const PollingSchema = Type.Object(
  {
    intervalMs: Millis(1000, 10),
    /** Nodes per Read request; servers cap it (MaxNodesPerRead). */
    maxNodesPerRead: Type.Integer({ minimum: 1, default: 500 }),
  },
  { additionalProperties: false },
);

export const ReconnectSchema = Type.Object(
  {
    minDelayMs: Millis(500, 10),
    /** Also the longest a server that is back waits for the gateway to return. */
    maxDelayMs: Millis(2000, 10),
  },
  { additionalProperties: false },
);

export const DeviceCalibrationSchema = Type.Object(
  {
    /** An object with LastCalibrationDate / NextCalibrationDate components (as in a CalibrationType). */
    node: NodeIdString,
    // A timer of minutes × 60,000 ms: bounded to what a Node.js timer takes.
    refreshMinutes: Type.Integer({ minimum: 1, maximum: Math.floor(MAX_TIMER_MS / 60_000), default: 60 }),
  },
  { additionalProperties: false },
);

export const OpcuaInstrumentFields = {
  ...instrumentIdentity,
  protocol: Type.Literal('opcua'),
  endpoint: Type.String({ pattern: '^opc\\.tcp://[^/:]+(:\\d+)?(/.*)?$', description: 'opc.tcp://host:port/path' }),
  security: Type.Object(SecuritySchema.properties, { additionalProperties: false, default: {} }),
  auth: Type.Optional(AuthSchema),
  read: literals(READ_MODES, 'subscribe'),
  timestamps: literals(TIMESTAMP_SOURCES, 'source'),
  subscription: Type.Object(SubscriptionSchema.properties, { additionalProperties: false, default: {} }),
  polling: Type.Object(PollingSchema.properties, { additionalProperties: false, default: {} }),
  /** Connect, session and request timeout. */
  timeoutMs: Millis(5000, 100),
  reconnect: Type.Object(ReconnectSchema.properties, { additionalProperties: false, default: {} }),
  deviceCalibration: Type.Optional(DeviceCalibrationSchema),
  channels: Type.Array(OpcuaChannelSchema, { minItems: 1 }),
};

export type OpcuaChannelConfig = Static<typeof OpcuaChannelSchema>;
export type OpcuaSecurityConfig = Static<typeof SecuritySchema>;
export type OpcuaAuthConfig = Static<typeof AuthSchema>;
export type DeadbandConfig = Static<typeof DeadbandSchema>;
export type SubscriptionConfig = Static<typeof SubscriptionSchema>;
export type TimestampSource = (typeof TIMESTAMP_SOURCES)[number];
export type ReadMode = (typeof READ_MODES)[number];
export type SecurityMode = (typeof SECURITY_MODES)[number];
export type SecurityPolicyName = (typeof SECURITY_POLICIES)[number];
/**
 * The driver's view of an instrument: its own fields, and the configured certificate (added to
 * every instrument by config/schema.ts) that deviceCalibration is compared with.
 */
export type OpcuaInstrumentConfig = Static<TObject<typeof OpcuaInstrumentFields>> & { calibration?: CalibrationConfig };
