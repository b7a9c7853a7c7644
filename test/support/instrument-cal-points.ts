import { influxSeries, rowsOf } from './influx-query.js';

export interface InfluxDb {
  url: string;
  database: string;
}

/** The latest `instrument_cal` summary point of one instrument (status, online), or undefined while none. */
export async function latestSummary(db: InfluxDb, site: string, instrument: string): Promise<Record<string, unknown> | undefined> {
  const q = `SELECT last("online") AS "online", "status", "certificate" FROM "instrument_cal" WHERE "site" = '${site}' AND "instrument" = '${instrument}' AND "scope" = 'instrument'`;
  return rowsOf(await influxSeries(db.url, db.database, q))[0];
}

/** How many `instrument_cal` summary points one instrument has, over all time (its status history). */
export async function summaryPoints(db: InfluxDb, site: string, instrument: string, where = ''): Promise<number> {
  const q = `SELECT count("status") FROM "instrument_cal" WHERE "site" = '${site}' AND "instrument" = '${instrument}' AND "scope" = 'instrument'${where ? ` AND ${where}` : ''}`;
  return Number(rowsOf(await influxSeries(db.url, db.database, q))[0]?.count ?? 0);
}

/** How many `reading` points one instrument has stored (its readings' history). */
export async function storedReadingCount(db: InfluxDb & { measurement: string }, site: string, instrument: string): Promise<number> {
  const q = `SELECT count("seq") FROM "${db.measurement}" WHERE "site" = '${site}' AND "instrument" = '${instrument}'`;
  return Number(rowsOf(await influxSeries(db.url, db.database, q))[0]?.count ?? 0);
}
