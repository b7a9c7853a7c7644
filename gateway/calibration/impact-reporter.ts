import type { InfluxConfig } from '../../config/schema.js';
import type { Logger } from '../log.js';
import type { CalEvent } from './cal-event.js';
import { writeImpactReport } from './impact-report.js';

export interface ImpactReporterOptions {
  gateway: string;
  reportsDir: string;
  /** Where the readings are stored, to count those of the suspect period; absent: not counted. */
  influx: InfluxConfig | undefined;
  /** Publishes the follow-up event that says where the report is. */
  publish: (event: CalEvent) => void;
  log: Logger;
}

/**
 * The edge side of reverse traceability: the gateway that owns the instrument (and raised the
 * suspect event) writes the impact report on its own disk, then publishes an `impact_report`
 * event naming the file, so a scale-out ingest group never scatters reports over its pods.
 */
export class ImpactReporter {
  private writing: Promise<void> = Promise.resolve();
  written = 0;

  constructor(private readonly opts: ImpactReporterOptions) {}

  /** For the engine's event listener: suspect events are reported, one at a time, in order. */
  readonly onEvent = (e: CalEvent): void => {
    if (e.kind !== 'suspect') return;
    this.writing = this.writing.then(() => this.report(e));
  };

  /** Resolves once every report asked for so far is written (or failed and was logged). */
  idle(): Promise<void> {
    return this.writing;
  }

  private async report(e: CalEvent): Promise<void> {
    const { gateway, reportsDir, influx, log } = this.opts;
    try {
      const r = await writeImpactReport(e, gateway, influx, reportsDir);
      this.written++;
      log.error(
        { instrument: e.instrument, channel: e.channel, readings: r.readingsAffected, from: r.from, to: r.to, file: r.file, notCounted: r.notCounted },
        'impact report written: suspect readings',
      );
      const followUp: CalEvent = {
        site: e.site,
        instrument: e.instrument,
        kind: 'impact_report',
        ts: Date.now(),
        from: null,
        to: e.to,
        certificate: e.certificate,
        due: e.due,
        reason: `impact report for ${e.check !== undefined ? `check ${e.check}` : (e.certificate ?? 'an unknown certificate')}: ${r.readingsAffected ?? 'uncounted'} readings stored in the suspect period`,
        reportFile: r.file,
      };
      if (e.channel !== undefined) followUp.channel = e.channel;
      if (e.check !== undefined) followUp.check = e.check;
      if (e.suspectFrom !== undefined) followUp.suspectFrom = e.suspectFrom;
      if (e.suspectTo !== undefined) followUp.suspectTo = e.suspectTo;
      if (r.readingsAffected !== null) followUp.readingsAffected = r.readingsAffected;
      this.opts.publish(followUp);
    } catch (err) {
      log.error({ instrument: e.instrument, channel: e.channel, dir: reportsDir, err: (err as Error).message }, 'could not write the impact report');
    }
  }
}
