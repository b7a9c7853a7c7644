/**
 * The config schema of OPC UA instruments (composed into config/schema.ts).
 * A placeholder until the OPC UA driver lands (issue 3): the protocol is reserved so the
 * instrument union has its final shape.
 */
import { Type } from '@sinclair/typebox';
import { channelIdentity, instrumentIdentity } from '../../config/common.js';

export const OpcuaChannelSchema = Type.Object(
  {
    ...channelIdentity,
    nodeId: Type.String({ minLength: 1, description: 'e.g. ns=2;s=Bath.Temperature' }),
  },
  { additionalProperties: false },
);

export const OpcuaInstrumentFields = {
  ...instrumentIdentity,
  protocol: Type.Literal('opcua'),
  endpoint: Type.String({ pattern: '^opc\\.tcp://', description: 'opc.tcp://host:port/path' }),
  channels: Type.Array(OpcuaChannelSchema, { minItems: 1 }),
};
