import type { MqttClient, Packet } from 'mqtt';

/** MQTT 5 PUBACK reason 0x10: the broker took the message, but no subscription matched it. */
export const NO_MATCHING_SUBSCRIBERS = 16;

/** A publish the broker acknowledged with reason 16: nobody received it, so it is not delivered. */
export class NoSubscribersError extends Error {
  constructor(topic: string) {
    super(`the broker has no subscriber for ${topic} (PUBACK reason 16, No matching subscribers)`);
    this.name = 'NoSubscribersError';
  }
}

/**
 * The reason code of the last PUBACK per packet id. mqtt.js resolves a publish with reason 16
 * as a success and hands the callback the PUBLISH it sent, not the PUBACK; the PUBACK itself
 * passes `packetreceive` just before that callback runs, so reading it here right after the
 * publish resolved gives that publish's own answer.
 */
export class PubackReasons {
  private readonly noSubscribers = new Set<number>();

  constructor(client: MqttClient) {
    client.on('packetreceive', (packet: Packet) => {
      if (packet.cmd !== 'puback' || packet.messageId === undefined) return;
      if (packet.reasonCode === NO_MATCHING_SUBSCRIBERS) this.noSubscribers.add(packet.messageId);
      else this.noSubscribers.delete(packet.messageId);
    });
  }

  /** True when the publish that was acknowledged under this id reached no subscriber. */
  reachedNobody(messageId: number | undefined): boolean {
    return messageId !== undefined && this.noSubscribers.delete(messageId);
  }
}
