/** The config schema of a channel's sensor characteristic (composed into each driver's channel). */
import { Type, type Static } from '@sinclair/typebox';
import { THERMOCOUPLE_TYPES } from './thermocouple-reference.js';

const Finite = (description: string) => Type.Number({ description });
const Span = Type.Object({ min: Type.Number(), max: Type.Number() }, { additionalProperties: false });

export const CharacteristicSchema = Type.Union(
  [
    Type.Object(
      {
        type: Type.Literal('cvd', { description: 'IEC 60751 platinum resistance thermometer, Callendar–Van Dusen' }),
        // No schema default: ajv ignores defaults inside a union (anyOf); the code reads Ω.
        sensorUnit: Type.Optional(Type.Literal('Ω', { description: 'Ω (the only one)' })),
        R0: Type.Number({ exclusiveMinimum: 0, description: 'resistance at 0 °C, Ω' }),
        A: Finite('A, 1/°C (IEC 60751: 3.9083e-3)'),
        B: Finite('B, 1/°C² (IEC 60751: -5.775e-7)'),
        C: Type.Optional(Finite('C, 1/°C⁴, below 0 °C only (IEC 60751: -4.183e-12); default 0')),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        type: Type.Literal('thermocouple', { description: 'IEC 60584 reference function' }),
        thermocouple: Type.Union(THERMOCOUPLE_TYPES.map((t) => Type.Literal(t))),
        sensorUnit: Type.Optional(Type.Union([Type.Literal('mV'), Type.Literal('µV'), Type.Literal('V')], { description: 'mV, µV or V; default mV' })),
        coldJunction: Type.Union([
          Type.Object({ channel: Type.String({ minLength: 1, description: 'a channel of the same instrument, in °C' }) }, { additionalProperties: false }),
          Type.Object({ temperature: Type.Number({ description: 'a fixed reference junction, °C (0: ice point)' }) }, { additionalProperties: false }),
        ]),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        type: Type.Literal('linear', { description: 'a transmitter: sensor span onto measurand span, e.g. 4–20 mA onto 0–100 °C' }),
        sensorUnit: Type.String({ minLength: 1 }),
        sensor: Span,
        measurand: Span,
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        type: Type.Literal('table', { description: 'a certificate table: measurand (reference) against the sensor indication' }),
        sensorUnit: Type.String({ minLength: 1 }),
        points: Type.Array(Type.Object({ reference: Type.Number(), indication: Type.Number() }, { additionalProperties: false }), { minItems: 2 }),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'turns the sensor quantity (Ω, mV, mA) the device reports into the measurand (the channel unit)' },
);

export type CharacteristicConfig = Static<typeof CharacteristicSchema>;
