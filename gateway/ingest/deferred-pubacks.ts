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
 */
export class DeferredPubacks {
  private readonly held = new Map<number, Packet>();
  private readonly releaseOnArrival = new Set<number>();
  private readonly send: SendPacket;

  constructor(private readonly client: MqttClient) {
    const target = client as unknown as { _sendPacket: SendPacket };
    const original = target._sendPacket.bind(client);
    this.send = original;
    target._sendPacket = (packet, cb, ...rest) => {
      const id = packet.messageId;
      if (packet.cmd !== 'puback' || id === undefined) return original(packet, cb, ...rest);
      if (this.releaseOnArrival.delete(id)) return original(packet, cb, ...rest);
      this.held.set(id, packet);
      cb?.();
    };
    // After a reconnect the broker redelivers what was not acknowledged, under new ids.
    client.on('close', () => {
      this.held.clear();
      this.releaseOnArrival.clear();
    });
  }

  get pending(): number {
    return this.held.size;
  }

  /** Acknowledges these messages now (their points are stored, or they are poison and dropped). */
  release(messageIds: readonly number[]): void {
    for (const id of messageIds) {
      const packet = this.held.get(id);
      if (packet) {
        this.held.delete(id);
        if (this.client.connected) this.send(packet);
      } else {
        this.releaseOnArrival.add(id);
      }
    }
  }
}
