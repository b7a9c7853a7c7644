/**
 * gateway/sinks/mqtt/puback-too-large.ts changes mqtt-packet's table of PUBACK reason codes. This
 * checks the change on the parser mqtt.js itself loads, with the bytes Mosquitto sends, so that
 * an mqtt upgrade that moves the table fails here (or at load) instead of bringing the hang back.
 * The broker's side is test/integration/mqtt-message-size-limit.test.ts.
 */
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';
import { ErrorWithReasonCode } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { PACKET_TOO_LARGE, refusalOfTooLarge } from '../../gateway/sinks/mqtt/puback-too-large.js';
import { RejectedBatchError } from '../../gateway/sinks/sink-errors.js';

interface Parser extends EventEmitter {
  parse(buf: Buffer): number;
}
const fromMqtt = createRequire(createRequire(import.meta.url).resolve('mqtt'));
const mqttPacket = fromMqtt('mqtt-packet') as { parser(opts: { protocolVersion: number }): Parser };

/** What mqtt.js's parser makes of these bytes from the broker: the packets, or the error. */
function parse(bytes: number[]): { packets: { cmd: string; messageId?: number; reasonCode?: number }[]; errors: string[] } {
  const parser = mqttPacket.parser({ protocolVersion: 5 });
  const packets: { cmd: string; messageId?: number; reasonCode?: number }[] = [];
  const errors: string[] = [];
  parser.on('packet', (p: { cmd: string; messageId?: number; reasonCode?: number }) =>
    packets.push({ cmd: p.cmd, messageId: p.messageId, reasonCode: p.reasonCode }),
  );
  parser.on('error', (err: Error) => errors.push(err.message));
  parser.parse(Buffer.from(bytes));
  return { packets, errors };
}

describe("mqtt.js takes Mosquitto's PUBACK reason 149", () => {
  it('parses a PUBACK 149 and the PUBACK after it in the same read', () => {
    // PUBACK id 7 reason 0x95 (Mosquitto's message_size_limit), then PUBACK id 8 reason 0x10.
    const { packets, errors } = parse([0x40, 3, 0, 7, 0x95, 0x40, 3, 0, 8, 0x10]);
    expect(errors).toEqual([]);
    expect(packets).toEqual([
      { cmd: 'puback', messageId: 7, reasonCode: PACKET_TOO_LARGE },
      { cmd: 'puback', messageId: 8, reasonCode: 16 },
    ]);
  });

  it('still refuses a reason code no broker may send in a PUBACK', () => {
    expect(parse([0x40, 3, 0, 9, 0x8e]).errors).toEqual(['Invalid puback reason code']);
  });

  it('turns the publish error mqtt.js gives for 149 into a refused batch naming topic, size and reason', () => {
    const refusal = refusalOfTooLarge(new ErrorWithReasonCode('Publish error: Packet too large', 149), 'mg/s/gw/i/data', 'x'.repeat(5000));
    expect(refusal).toBeInstanceOf(RejectedBatchError);
    expect(String(refusal)).toContain('5000-byte message to mg/s/gw/i/data');
    expect(String(refusal)).toContain('PUBACK reason 149, Packet too large');
  });

  it('leaves every other publish error as it is (retried by the spool)', () => {
    const quota = new ErrorWithReasonCode('Publish error: Quota exceeded', 151);
    const closed = new Error('Connection closed');
    expect(refusalOfTooLarge(quota, 't', 'p')).toBe(quota);
    expect(refusalOfTooLarge(closed, 't', 'p')).toBe(closed);
  });
});
