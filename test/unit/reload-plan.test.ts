import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load-config.js';
import { createDriverUnits } from '../../drivers/registry.js';
import { silentLogger } from '../../gateway/log.js';
import { planReload } from '../../gateway/reload-plan.js';

const HEAD = 'site: lab\nmqtt:\n  url: mqtt://broker\ninstruments:\n';
const channels = (type = 'float32') => `    channels:\n      - { id: t, function: input, address: 0, type: ${type}, quantity: temperature }\n`;
const rtu = (id: string, unitId: number, port: string, type?: string) =>
  `  - id: ${id}\n    protocol: modbus-rtu\n    unitId: ${unitId}\n    line: { port: ${port} }\n${channels(type)}`;
const tcp = (id: string, host: string, type?: string) => `  - id: ${id}\n    protocol: modbus-tcp\n    connection: { host: ${host} }\n${channels(type)}`;
const load = (text: string) => parseConfig(HEAD + text, 'site.yaml', {});

/** What a reload restarts: the changed instrument, or the RTU line it shares; nothing else. */
describe('planReload: restart units', () => {
  const before = load(
    rtu('bath', 1, '/dev/ttyUSB0') + rtu('dmm', 2, '/dev/ttyUSB0') + rtu('gauge', 3, '/dev/ttyUSB1') + tcp('oven', '10.0.0.5') + tcp('scale', '10.0.0.6'),
  );

  it('one changed channel on an RTU line restarts that line (its master owns the bus), not the other line or any TCP instrument', () => {
    const after = load(
      rtu('bath', 1, '/dev/ttyUSB0') +
        rtu('dmm', 2, '/dev/ttyUSB0', 'int16') +
        rtu('gauge', 3, '/dev/ttyUSB1') +
        tcp('oven', '10.0.0.5') +
        tcp('scale', '10.0.0.6'),
    );
    expect(planReload(before, after)).toMatchObject({ changed: ['dmm'], units: { stop: ['modbus-rtu /dev/ttyUSB0'], start: ['modbus-rtu /dev/ttyUSB0'] } });
  });

  it('one changed TCP instrument restarts alone; an added one starts, a removed one stops', () => {
    const after = load(
      rtu('bath', 1, '/dev/ttyUSB0') +
        rtu('dmm', 2, '/dev/ttyUSB0') +
        rtu('gauge', 3, '/dev/ttyUSB1') +
        tcp('oven', '10.0.0.5', 'int16') +
        tcp('press', '10.0.0.7'),
    );
    expect(planReload(before, after)).toMatchObject({
      added: ['press'],
      removed: ['scale'],
      changed: ['oven'],
      units: { stop: ['modbus-tcp oven', 'modbus-tcp scale'], start: ['modbus-tcp oven', 'modbus-tcp press'] },
    });
  });

  it('the drivers of a unit cover exactly its instruments', () => {
    const units = createDriverUnits('lab', before.instruments, silentLogger(), new Set(['modbus-rtu /dev/ttyUSB0', 'modbus-tcp scale']));
    expect(units.map((u) => [u.key, u.instruments, u.driver.protocol])).toEqual([
      ['modbus-rtu /dev/ttyUSB0', ['bath', 'dmm'], 'modbus-rtu'],
      ['modbus-tcp scale', ['scale'], 'modbus-tcp'],
    ]);
  });
});
