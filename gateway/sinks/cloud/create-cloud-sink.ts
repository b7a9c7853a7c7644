import type { InstrumentConfig } from '../../../config/schema.js';
import type { CalibrationService } from '../../calibration/calibration-service.js';
import type { Logger } from '../../log.js';
import type { DeliveryTarget } from '../../spool/spool-delivery.js';
import { VERSION } from '../../version.js';
import { SparkplugFormat } from '../sparkplug/sparkplug-format.js';
import { checkCloudConfig, type CloudConfig } from './cloud-config.js';
import { HttpsUplink } from './https-uplink.js';
import { JsonFormat } from './json-format.js';
import { MqttUplink } from './mqtt-uplink.js';
import { RosterTracker } from './roster.js';

export interface CloudDeps {
  cloud: CloudConfig;
  site: string;
  gateway: string;
  instruments: readonly InstrumentConfig[];
  calibration: Pick<CalibrationService, 'records' | 'statusOf'>;
  log: Logger;
}

/**
 * The cloud platform uplink as a spool target, or null when cloud.enabled is false. No I/O here:
 * certificates are read and connections opened by the sink's start().
 */
export function createCloudTarget(deps: CloudDeps): DeliveryTarget | null {
  const { cloud, site, gateway, instruments, log } = deps;
  if (!cloud.enabled) return null;
  const problems = checkCloudConfig(cloud);
  if (problems.length > 0) throw new Error(problems.map((p) => `cloud.${p.at.join('.')}: ${p.message}`).join('\n'));
  const roster = new RosterTracker({ site, gateway, instruments, calibration: deps.calibration });
  const child = log.child({ sink: 'cloud' });
  const target = (sink: DeliveryTarget['sink']): DeliveryTarget => ({ sink, maxInFlight: cloud.maxInFlight, inOrder: cloud.inOrder });
  if (cloud.url.startsWith('https://')) return target(new HttpsUplink({ cloud, site, gateway, roster, log: child }));
  const format =
    cloud.format === 'sparkplug'
      ? new SparkplugFormat({
          groupId: cloud.sparkplug?.groupId ?? site,
          edgeNodeId: cloud.sparkplug?.edgeNodeId ?? gateway,
          prefix: cloud.topicPrefix,
          site,
          gateway,
          version: VERSION,
          instruments,
        })
      : new JsonFormat({ prefix: cloud.topicPrefix, site, gateway, instruments: instruments.map((i) => i.id) });
  const clientId = cloud.clientId ?? `metrogate-cloud-${site}-${gateway}`;
  return target(new MqttUplink({ cloud, clientId, format, roster, log: child }));
}
