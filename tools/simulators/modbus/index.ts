/** The simulator's public API, for tests, the demo and the benchmark (main.ts is the CLI). */
export { startSimulator, benchDevices, type Simulator, type SimulatorOptions, type DeviceSpec, type BenchOptions } from './simulator.js';
export { startRtuSimulator, type RtuSimulator, type RtuSimulatorOptions, type RtuDeviceSpec, type RtuLineSpec } from './rtu-simulator.js';
export { openPtyPair, type PtyPair } from './pty-pair.js';
export { SimulatedDevice, type SimulatedDeviceOptions } from './simulated-device.js';
export { ModbusTcpServer, type ModbusTcpServerOptions } from './mbap-server.js';
export { ModbusDevice, noFaults, type Faults, type ExceptionFault } from './device.js';
export type { UnknownUnitPolicy } from './connection.js';
export {
  PROFILE_NAMES,
  DEFAULT_BENCH_REGISTERS,
  benchProfile,
  channelsFor,
  profileByName,
  isProfileName,
  type Profile,
  type ProfileName,
  type ProfilePoint,
} from './profiles.js';
export { devicesFromConfig, matchProfile, channelsMatch, type ConfigDevices, type ConfigDeviceOptions } from './config-devices.js';
export type { Signal } from './signals.js';
