/**
 * The OPC UA part of the config check: what the schema cannot say about OPC UA instruments. A
 * percent deadband is a share of the node's EURange, 0 to 100 (OPC UA Part 8, PercentDeadband):
 * a server refuses a larger one when the item is created, long after `validate` said yes.
 */
import type { PathProblem, PathSegment } from '../../config/problem.js';
import type { DeadbandConfig, OpcuaInstrumentConfig } from './config.js';

/** The config check of OPC UA, for each instrument on its own (paths from `at`, the instrument's). */
export const opcuaConfigCheck = {
  instrument(inst: { protocol: string }, at: PathSegment[]): PathProblem[] {
    if (inst.protocol !== 'opcua') return [];
    const ua = inst as OpcuaInstrumentConfig;
    const problems = checkDeadband(ua.subscription.deadband, [...at, 'subscription', 'deadband']);
    ua.channels.forEach((ch, j) => problems.push(...checkDeadband(ch.deadband, [...at, 'channels', j, 'deadband'])));
    return problems;
  },
};

function checkDeadband(deadband: DeadbandConfig | undefined, at: PathSegment[]): PathProblem[] {
  if (deadband?.type !== 'percent' || deadband.value <= 100) return [];
  return [{ at: [...at, 'value'], message: `a percent deadband is a share of the node's EURange, 0 to 100, got ${deadband.value}` }];
}
