import type { ServerResponse } from 'node:http';
import type { Logger } from '../log.js';
import type { ReadingBatch } from '../reading.js';
import { serialiseBatch } from '../sinks/mqtt/payload.js';
import type { ApiStreamConfig } from './api-config.js';

interface Client {
  res: ServerResponse;
  /** null: every instrument. */
  instruments: ReadonlySet<string> | null;
  remote: string;
}

export interface SseStats {
  clients: number;
  /** Clients dropped because they read too slowly. */
  dropped: number;
}

/**
 * Live reading batches as Server-Sent Events. Each batch is serialised once (the same JSON as the
 * MQTT data topic, gateway/schemas/reading-batch.schema.json) and written to every client that
 * wants it. Writes never wait: a client whose unsent bytes pass the bound is disconnected, so a
 * slow reader costs bounded memory and never slows the pipeline that calls broadcast().
 */
export class SseHub {
  private readonly clients = new Set<Client>();
  private heartbeat: NodeJS.Timeout | null = null;
  private droppedCount = 0;

  constructor(
    private readonly gatewayId: string,
    private readonly opts: ApiStreamConfig,
    private readonly log: Logger,
  ) {}

  get stats(): SseStats {
    return { clients: this.clients.size, dropped: this.droppedCount };
  }

  get full(): boolean {
    return this.clients.size >= this.opts.maxClients;
  }

  /** Takes over an HTTP response that already has its event-stream headers. */
  add(res: ServerResponse, instruments: ReadonlySet<string> | null, remote: string): void {
    const client: Client = { res, instruments, remote };
    this.clients.add(client);
    res.on('close', () => this.clients.delete(client));
    // Tells EventSource how soon to reconnect after the gateway restarts.
    this.send(client, `retry: 2000\nevent: hello\ndata: {"gateway":${JSON.stringify(this.gatewayId)}}\n\n`);
    this.heartbeat ??= setInterval(() => this.beat(), this.opts.heartbeatMs).unref();
  }

  readonly broadcast = (batch: ReadingBatch): void => {
    if (this.clients.size === 0) return;
    let frame: string | null = null;
    for (const c of this.clients) {
      if (c.instruments && !c.instruments.has(batch.instrument)) continue;
      frame ??= `event: readings\ndata: ${serialiseBatch(batch, this.gatewayId)}\n\n`;
      this.send(c, frame);
    }
  };

  close(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    for (const c of this.clients) c.res.end();
    this.clients.clear();
  }

  private beat(): void {
    if (this.clients.size === 0) return;
    const frame = `event: heartbeat\ndata: {"ts":${Date.now()}}\n\n`;
    for (const c of this.clients) this.send(c, frame);
  }

  private send(c: Client, frame: string): void {
    if (c.res.destroyed) return;
    c.res.write(frame);
    if (c.res.writableLength > this.opts.maxClientBufferBytes) {
      this.droppedCount++;
      this.clients.delete(c);
      this.log.warn(
        { client: c.remote, unsentBytes: c.res.writableLength, limit: this.opts.maxClientBufferBytes },
        'api: dropped a stream client that reads too slowly',
      );
      c.res.destroy();
    }
  }
}
