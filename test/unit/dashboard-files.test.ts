/**
 * The shipped Grafana dashboards as files (dashboards/json): what can be checked without running
 * them. Their queries run against a pipeline's data in test/e2e/dashboard-queries.test.ts.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/e2e-fixture.js';
import { CHECKS_UID, datasourceRefs, loadDashboards, panelsOf } from '../support/grafana-dashboards.js';
import { datasources, influxDs } from '../support/grafana-run.js';

const dashboards = loadDashboards(join(ROOT, 'dashboards/json'));

describe('Grafana dashboards: the files', () => {
  it('are five dashboards, each with its own uid, title and panel ids', () => {
    expect(dashboards.map((d) => d.json.uid).sort()).toEqual([
      'metrogate-calibration-board',
      CHECKS_UID,
      'metrogate-gateway-health',
      'metrogate-instrument-detail',
      'metrogate-site-overview',
    ]);
    expect(new Set(dashboards.map((d) => d.json.title)).size).toBe(dashboards.length);
    for (const { file, json } of dashboards) {
      const ids = panelsOf(json).map((p) => p.id);
      expect(new Set(ids).size, `${file}: panel ids`).toBe(ids.length);
      expect(
        json.templating.list.map((v) => v.name),
        file,
      ).toEqual(expect.arrayContaining(['site']));
    }
  });

  it('refer to no datasource but the provisioned InfluxDB (InfluxQL)', () => {
    expect(datasources).toHaveLength(1);
    expect(influxDs).toMatchObject({ uid: 'metrogate-influxdb', jsonData: { version: 'InfluxQL', dbName: 'metrogate' } });
    const wrong = dashboards.flatMap(({ file, json }) =>
      datasourceRefs(json)
        .filter(({ ref }) => typeof ref !== 'object' || ref.uid !== influxDs.uid || ref.type !== influxDs.type)
        .map(({ where, ref }) => `${file}: ${where} → ${JSON.stringify(ref)}`),
    );
    expect(wrong).toEqual([]);
  });

  it('hold raw InfluxQL in every target, so what this test runs is what Grafana sends', () => {
    const notRaw = dashboards.flatMap(({ file, json }) =>
      panelsOf(json).flatMap((p) => (p.targets ?? []).filter((t) => t.rawQuery !== true || !t.query || t.hide).map((t) => `${file}: "${p.title}" ${t.refId}`)),
    );
    expect(notRaw).toEqual([]);
  });
});
