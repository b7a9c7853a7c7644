/** Shared by the config-*.test.ts files: a small valid config and helpers to read its errors. */
import { ConfigError, parseConfig } from '../../config/load-config.js';

export const FILE = 'config/test.yaml';

/** Two instruments, only required options: everything else comes from defaults. */
export const BASE = `site: lab-1
mqtt:
  url: mqtt://localhost:1883
instruments:
  - id: oven
    protocol: modbus-tcp
    connection:
      host: 10.0.0.5
    channels:
      - id: t1
        address: 0
        type: float32
        quantity: temperature
  - id: scale
    protocol: modbus-tcp
    connection:
      host: 10.0.0.6
    channels:
      - id: m
        address: 0
        type: int16
        quantity: mass
`;

/** BASE with `from` replaced by `to`; fails loudly when `from` is not in the text. */
export function edit(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`fixture does not contain ${JSON.stringify(from)}`);
  return text.replace(from, () => to); // a function: `$$` in `to` stays as written
}

/** 1-based line of the first line containing `needle`, as the error messages count. */
export function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  if (index < 0) throw new Error(`fixture has no line with ${JSON.stringify(needle)}`);
  return index + 1;
}

export function configError(text: string, env: Record<string, string> = {}): ConfigError {
  try {
    parseConfig(text, FILE, env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError, the config loaded');
}

/** The lines a user reads. */
export function messages(text: string, env: Record<string, string> = {}): string[] {
  return configError(text, env).message.split('\n');
}
