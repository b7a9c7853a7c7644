import type { InstrumentConfig, MetrogateConfig } from '../../config/schema.js';
import type { CalibrationService } from '../calibration/calibration-service.js';
import type { Logger } from '../log.js';
import type { DeliveryTarget } from '../spool/spool-delivery.js';
import { createCloudTarget } from './cloud/create-cloud-sink.js';
import { createInfluxTarget } from './influx/influx-sink.js';
import { createMqttTarget } from './mqtt/create-mqtt-sink.js';

export interface SinkFactoryDeps {
  config: MetrogateConfig;
  gateway: string;
  instruments: readonly InstrumentConfig[];
  calibration: Pick<CalibrationService, 'records' | 'statusOf'>;
  log: Logger;
}

/**
 * The sinks a config asks for, each optional: the edge broker (`mqtt`), the cloud uplink
 * (`cloud.enabled`), InfluxDB directly (`influx.sink.enabled`). The edge broker comes first: it
 * gets live data first (dashboards stay live while an outage is replayed), its window bounded by
 * mqtt.maxInFlight; the cloud gets each instrument's readings in order (cloud.inOrder). No I/O.
 * Each sink's folder has its factory beside its schema and check (…/<sink>-config.ts).
 */
export function createSinkTargets(deps: SinkFactoryDeps): DeliveryTarget[] {
  const { config, gateway, instruments, calibration, log } = deps;
  const targets: DeliveryTarget[] = [];
  const mqtt = createMqttTarget({ mqtt: config.mqtt, site: config.site, gateway, instruments, log });
  if (mqtt) targets.push(mqtt);
  const cloud = config.cloud && createCloudTarget({ cloud: config.cloud, site: config.site, gateway, instruments, calibration, log });
  if (cloud) targets.push(cloud);
  const influx = createInfluxTarget(config.influx, log, gateway, config.site);
  if (influx) targets.push(influx);
  return targets;
}
