/**
 * A cloud platform's ingest, written from the published contract alone (gateway/schemas/README.md
 * and the JSON Schemas beside it): nothing here imports the gateway's code. It validates every
 * message, stores readings once per (site, gateway, instrument, epoch, seq), keeps the newest
 * roster per gateway and resolves each reading's certificate reference (laboratory, certificate)
 * in that roster's certificate list.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { ROOT } from './e2e-fixture.js';

const SCHEMAS = join(ROOT, 'gateway/schemas');

export interface ContractReading {
  channel: string;
  quantity: string;
  unit: string;
  ts: number;
  seq: number;
  value: number | boolean | string | null;
  cal: { status: string; certificate: string | null; laboratory?: string | null };
}

interface ContractBatch {
  site: string;
  gateway: string;
  instrument: string;
  epoch?: string;
  readings: ContractReading[];
}

interface ContractCertificate {
  laboratory: string | null;
  certificate: string;
  instrument: string;
}

interface ContractRoster {
  site: string;
  gateway: string;
  ts: number;
  certificates: ContractCertificate[];
}

export interface Stored extends ContractReading {
  site: string;
  gateway: string;
  instrument: string;
  epoch: string;
}

/** Every schema of the contract by `$id` (…/reading-batch.v1.json → validator). */
export function contractValidators(): Map<string, ValidateFunction> {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const ids: string[] = [];
  for (const file of readdirSync(SCHEMAS).filter((f) => f.endsWith('.schema.json'))) {
    const schema = JSON.parse(readFileSync(join(SCHEMAS, file), 'utf8')) as { $id: string };
    ajv.addSchema(schema);
    ids.push(schema.$id);
  }
  return new Map(ids.map((id) => [id.replace(/^.*\//, ''), ajv.getSchema(id)!]));
}

export class PlatformConsumer {
  readonly problems: string[] = [];
  readonly stored = new Map<string, Stored>();
  duplicates = 0;
  private readonly rosters = new Map<string, ContractRoster>();
  private readonly validators = contractValidators();

  /** An HTTPS POST /readings body (cloud-batch). */
  ingestCloudBatch(doc: unknown): void {
    if (!this.valid('cloud-batch.v1.json', doc)) return;
    for (const batch of (doc as { batches: ContractBatch[] }).batches) this.store(batch);
  }

  /** A roster (HTTPS PUT /roster or the retained MQTT roster topic). */
  ingestRoster(doc: unknown): void {
    if (!this.valid('site-roster.v2.json', doc)) return;
    const roster = doc as ContractRoster;
    const key = `${roster.site}\u0000${roster.gateway}`;
    const prev = this.rosters.get(key);
    if (!prev || roster.ts >= prev.ts) this.rosters.set(key, roster);
  }

  /** Stored readings whose certificate reference the gateway's newest roster cannot resolve. */
  unresolved(): Stored[] {
    return [...this.stored.values()].filter((r) => {
      if (r.cal.certificate === null) return false;
      const roster = this.rosters.get(`${r.site}\u0000${r.gateway}`);
      const matches =
        roster?.certificates.filter(
          (c) => c.certificate === r.cal.certificate && c.laboratory === (r.cal.laboratory ?? null) && c.instrument === r.instrument,
        ) ?? [];
      return matches.length !== 1;
    });
  }

  /** Stored seqs of one instrument and epoch, in order. */
  seqs(instrument: string, epoch?: string): number[] {
    return [...this.stored.values()]
      .filter((r) => r.instrument === instrument && (epoch === undefined || r.epoch === epoch))
      .map((r) => r.seq)
      .sort((a, b) => a - b);
  }

  epochs(): Set<string> {
    return new Set([...this.stored.values()].map((r) => r.epoch));
  }

  private store(batch: ContractBatch): void {
    const epoch = batch.epoch ?? '';
    for (const r of batch.readings) {
      const key = [batch.site, batch.gateway, batch.instrument, epoch, r.seq].join('\u0000');
      const had = this.stored.get(key);
      if (had) {
        this.duplicates++;
        // At-least-once delivery repeats a reading identically; anything else breaks the key.
        if (had.ts !== r.ts || had.channel !== r.channel || had.value !== r.value) {
          this.problems.push(`${key.replaceAll('\u0000', '/')}: two different readings under one key`);
        }
        continue;
      }
      this.stored.set(key, { ...r, site: batch.site, gateway: batch.gateway, instrument: batch.instrument, epoch });
    }
  }

  private valid(id: string, doc: unknown): boolean {
    const validate = this.validators.get(id);
    if (!validate) throw new Error(`no schema ${id} in gateway/schemas`);
    if (validate(doc)) return true;
    this.problems.push(`${id}: ${JSON.stringify(validate.errors)}`);
    return false;
  }
}
