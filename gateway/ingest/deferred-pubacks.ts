import type { MqttClient } from 'mqtt';

interface Packet {
  cmd: string;
  messageId?: number;
}
type SendPacket = (packet: Packet, cb?: (err?: Error) => void, ...rest: unknown[]) => void;

/**
 * Holds back the PUBACK of each received QoS 1 message until its points are in InfluxDB, so a
 * killed ingester's unacknowledged messages are redelivered instead of lost.
 *
 * mqtt.js handles incoming packets one at a time and sends the PUBACK as soon as handleMessage's
 * callback runs; holding that callback would stall delivery at one message per InfluxDB write.
 * So handleMessage returns at once and this wrapper intercepts the PUBACK itself: the packet
 * chain carries on (its callback runs now) and the acknowledgement goes out after the write.
 * It relies on MqttClient's internal `_sendPacket`, which is why mqtt is pinned and this is
 * covered by test/integration/ingest.test.ts (unacknowledged messages are redelivered).
 *
 * A packet id names a delivery, not a message, and ids come back: after a reconnect the broker
 * resends what we had not acknowledged under its ORIGINAL id (MQTT 5 §4.4), possibly while the
 * first copy's write is still under way, and once acknowledged an id is free for a new message.
 * So the PUBACK for an id leaves only when every copy received under that id has been written:
 * a write finishing late can never acknowledge a later message that reuses its id.
 */
export class DeferredPubacks {
  /** Copies received under each id whose points are not written yet. */
  private readonly unwritten = new Map<number, number>();
  /** PUBACKs mqtt.js asked to send on the current connection, waiting for their writes. */
  private readonly held = new Map<number, Packet>();
  private readonly send: SendPacket;

  constructor(private readonly client: MqttClient) {
    const target = client as unknown as { _sendPacket: SendPacket };
    const original = target._sendPacket.bind(client);
    this.send = original;
    target._sendPacket = (packet, cb, ...rest) => {
      const id = packet.messageId;
      if (packet.cmd !== 'puback' || id === undefined) return original(packet, cb, ...rest);
      if (!this.unwritten.has(id)) return original(packet, cb, ...rest);
      this.held.set(id, packet);
      cb?.();
    };
    // A PUBACK means nothing on another connection: the broker resends what it still holds,
    // and that copy's PUBACK is held anew. Writes under way still count for their ids.
    client.on('close', () => this.held.clear());
  }

  /** Acknowledgements waiting for a write. */
  get pending(): number {
    return this.held.size;
  }

  /**
   * A QoS 1 message arrived (call before handleMessage's callback returns, so its PUBACK is
   * held): its id stays unacknowledged until release() was called once per copy.
   */
  received(messageId: number): void {
    this.unwritten.set(messageId, (this.unwritten.get(messageId) ?? 0) + 1);
  }

  /** These messages' points are stored (or they are poison and dropped): acknowledge when no other copy waits. */
  release(messageIds: readonly number[]): void {
    for (const id of messageIds) {
      const left = (this.unwritten.get(id) ?? 1) - 1;
      if (left > 0) {
        this.unwritten.set(id, left);
        continue;
      }
      this.unwritten.delete(id);
      const packet = this.held.get(id);
      this.held.delete(id);
      if (packet && this.client.connected) this.send(packet);
    }
  }
}
