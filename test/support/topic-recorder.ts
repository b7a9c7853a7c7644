import { connectAsync, type MqttClient } from 'mqtt';

/**
 * Subscribes to `filter` and keeps every JSON message by topic, in arrival order: what a user
 * watching the broker would see. `messages` is filled in place, so a test may hold it from the start.
 */
export async function recordTopics(url: string, filter: string, messages = new Map<string, unknown[]>()): Promise<MqttClient> {
  const client = await connectAsync(url, { protocolVersion: 5 });
  client.on('message', (topic, payload) => {
    const list = messages.get(topic) ?? [];
    list.push(JSON.parse(payload.toString()));
    messages.set(topic, list);
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return client;
}
