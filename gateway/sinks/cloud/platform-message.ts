/**
 * One typed message to the metrology platform, sent once and confirmed, outside the reading
 * stream: a comparison result is an operator's act, so the command that makes it says whether the
 * platform has it (exit status) instead of queueing it behind an outage. Over MQTT it is
 * published retained with QoS 1 (the platform finds the latest result per point whenever it
 * subscribes) and confirmed by the PUBACK; over HTTPS it is POSTed and confirmed by a 2xx.
 */
import https from 'node:https';
import { connectAsync, type IClientOptions } from 'mqtt';
import type { CloudConfig } from './cloud-config.js';
import { sendGzipJson } from './https-post.js';
import { explainConnectError, readTlsFiles } from './tls-files.js';

export interface PlatformMessage {
  /** Below `<prefix>/<site>/<gateway>/` on MQTT, below the url on HTTPS, e.g. `comparison/PT-1/100`. */
  path: string[];
  json: string;
}

export interface PlatformAddress {
  site: string;
  gateway: string;
}

/** Resolves once the platform confirmed it; rejects with a reason a user can act on. */
export async function sendPlatformMessage(cloud: CloudConfig, at: PlatformAddress, msg: PlatformMessage): Promise<string> {
  const tls = await readTlsFiles(cloud);
  if (cloud.url.startsWith('https://')) {
    const url = new URL(`${cloud.url.replace(/\/+$/, '')}/${msg.path.map(encodeURIComponent).join('/')}`);
    const agent = new https.Agent({ keepAlive: false, ...tls });
    try {
      await sendGzipJson(msg.json, { method: 'POST', url, token: cloud.token ?? '', agent, timeoutMs: cloud.timeoutMs });
    } catch (err) {
      throw new Error(explainConnectError(err as Error, cloud));
    } finally {
      agent.destroy();
    }
    return `POST ${url.href}`;
  }
  const topic = [cloud.topicPrefix, at.site, at.gateway, ...msg.path].join('/');
  const options: IClientOptions = {
    protocolVersion: 5,
    clientId: `${cloud.clientId ?? `metrogate-${at.site}-${at.gateway}`}-cli-${process.pid}`,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: cloud.timeoutMs,
    ...(cloud.username !== undefined ? { username: cloud.username } : {}),
    ...(cloud.password !== undefined ? { password: cloud.password } : {}),
    ...tls,
  };
  let client;
  try {
    client = await connectAsync(cloud.url, options);
  } catch (err) {
    throw new Error(explainConnectError(err as Error, cloud));
  }
  try {
    const ack = await client.publishAsync(topic, msg.json, { qos: 1, retain: true });
    // mqtt.js resolves a QoS 1 publish on any PUBACK; a reason ≥ 0x80 means the broker did not take it.
    const reason = (ack as { reasonCode?: number } | undefined)?.reasonCode ?? 0;
    if (reason >= 0x80) throw new Error(`the platform broker refused ${topic} (PUBACK reason ${reason})`);
  } finally {
    await client.endAsync();
  }
  return `MQTT ${topic}`;
}
