/** A Pt100 read in Ω by a simulated resistance bridge, and the instrument config that reads it in °C. */
import type { ModbusTcpInstrumentConfig } from '../../config/schema.js';
import { cvdResistance } from '../../gateway/calibration/characteristic/callendar-van-dusen.js';
import type { Profile } from '../../tools/simulators/modbus/index.js';

/** IEC 60751 coefficients. */
export const PT100 = { R0: 100, A: 3.9083e-3, B: -5.775e-7, C: -4.183e-12 };
/** What the bridge serves: the Pt100's resistance at 100 °C. */
export const SERVED_OHM = cvdResistance(PT100, 100);

export const PRT_PROFILE: Profile = {
  name: 'prt-readout',
  description: 'a resistance bridge reading a Pt100 in a bath at 100 °C',
  points: [
    { channel: 'prt', function: 'input', address: 0, type: 'float32', quantity: 'temperature', unit: '°C', signal: { kind: 'constant', value: SERVED_OHM } },
  ],
};

/** `prt-01` polling the bridge on `port` every 200 ms, its channel turned into °C by the CVD characteristic. */
export function prtInstrument(port: number): ModbusTcpInstrumentConfig {
  return {
    id: 'prt-01',
    protocol: 'modbus-tcp',
    pollIntervalMs: 200,
    maxGap: 8,
    maxRegistersPerRead: 125,
    connection: { host: '127.0.0.1', port, unitId: 1, timeoutMs: 1000 },
    channels: [
      {
        id: 'prt',
        function: 'input',
        address: 0,
        type: 'float32',
        order: 'ABCD',
        scale: 1,
        offset: 0,
        quantity: 'temperature',
        unit: '°C',
        characteristic: { type: 'cvd', ...PT100 },
      },
    ],
  } as ModbusTcpInstrumentConfig;
}
