import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Id, IsoDate } from '../../../config/common.js';
import { DccError } from '../../calibration/dcc/dcc-error.js';
import { chooseChannel, ImportTargetError, recordFromDccBytes } from '../../calibration/dcc/import-dcc.js';
import { signaturePolicy } from '../../calibration/dcc/signature/signature-policy.js';
import { RecordStoreError } from '../../calibration/record-store.js';
import type { ApiContext } from '../api-context.js';
import { requireBearerToken } from '../bearer-auth.js';
import { errors, RecordSchema } from '../schemas.js';

/** A DCC with embedded figures or a signature is larger than a bare one; beyond this it is refused (413). */
export const DCC_UPLOAD_LIMIT_BYTES = 4 * 1024 * 1024;

const DccUploadQuery = Type.Object(
  {
    instrument: Id,
    channel: Type.Optional(Id),
    due: Type.Optional(IsoDate),
    intervalMonths: Type.Optional(Type.Integer({ minimum: 1, maximum: 240 })),
  },
  { additionalProperties: false },
);
type DccUploadQuery = Static<typeof DccUploadQuery>;

const DccUploadReply = Type.Object({ records: Type.Array(RecordSchema), dueFrom: Type.String() });

function refuse(reply: FastifyReply, code: 400 | 404 | 409, message: string): FastifyReply {
  const error = code === 400 ? 'Bad Request' : code === 404 ? 'Not Found' : 'Conflict';
  return reply.code(code).send({ statusCode: code, error, message });
}

/**
 * POST /api/calibration/dcc: a Digital Calibration Certificate uploaded as XML, imported with the
 * CLI's checks (`metrogate dcc import`), stored in the records dir and put in force at once with
 * the events of any new record (transition, suspect period, impact report).
 */
export async function dccUploadRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const { deps } = ctx;
  const byId = new Map(deps.instruments.map((i) => [i.id, i]));
  // The bytes as sent: the signature and the sha256 a record keeps are of the file, not of a
  // re-encoded string. The body schema sees its text; the DCC parser reports where it is wrong.
  const uploaded = new WeakMap<object, Buffer>();
  app.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'buffer', bodyLimit: DCC_UPLOAD_LIMIT_BYTES }, (req, body, done) => {
    const bytes = body as Buffer;
    uploaded.set(req, bytes);
    done(null, bytes.toString('utf8'));
  });

  app.post<{ Querystring: DccUploadQuery; Body: string }>(
    '/api/calibration/dcc',
    {
      onRequest: requireBearerToken(ctx.config.token),
      bodyLimit: DCC_UPLOAD_LIMIT_BYTES,
      schema: {
        summary: 'Import a Digital Calibration Certificate (DCC XML) for an instrument channel and apply it',
        description:
          "Body: the DCC XML (Content-Type application/xml or text/xml, at most 4 MiB). Its signature is verified as `metrogate dcc import` does (calibration.trust, calibration.requireSignature). The values are converted into the channel's unit; `due` or `intervalMonths` give the due date when the certificate states none (and win over the one it states). Answers with the record as stored.",
        tags: ['calibration'],
        security: [{ bearerAuth: [] }],
        querystring: DccUploadQuery,
        body: Type.String({ description: 'DCC XML' }),
        response: { 201: DccUploadReply, ...errors(400, 401, 403, 404, 409, 413, 415, 500) },
      },
    },
    async (request, reply) => {
      const { instrument, channel, due, intervalMonths } = request.query;
      const inst = byId.get(instrument);
      if (!inst) return refuse(reply, 404, `querystring/instrument: no instrument "${instrument}" in this gateway`);
      if (due !== undefined && intervalMonths !== undefined) return refuse(reply, 400, 'querystring: give either due or intervalMonths, not both');
      // Loaded per upload: anchors added to the trust folder count without a restart. A broken
      // trust store is the site's configuration problem (500), not the uploader's.
      const policy = signaturePolicy(deps.calibrationSettings);
      let imported;
      try {
        const target = chooseChannel(inst, channel, 'the channel (?channel=ID)');
        const bytes = uploaded.get(request.raw) ?? Buffer.from(request.body, 'utf8');
        imported = await recordFromDccBytes(
          bytes,
          { instrument, channel: target, ...(due !== undefined && { due }), ...(intervalMonths !== undefined && { intervalMonths }) },
          policy,
        );
      } catch (err) {
        if (err instanceof DccError || err instanceof ImportTargetError) return refuse(reply, 400, `DCC upload for ${instrument}: ${err.message}`);
        throw err;
      }
      const { record, dueFrom } = imported;
      if (deps.calibration.records(instrument).some((r) => r.certificate === record.certificate && r.channel === record.channel)) {
        return refuse(
          reply,
          409,
          `certificate ${record.certificate} is already recorded for ${instrument}${record.channel ? ` channel ${record.channel}` : ''}`,
        );
      }
      try {
        await deps.calibration.addRecord(record);
      } catch (err) {
        if (err instanceof RecordStoreError) return refuse(reply, 409, err.message);
        if (typeof (err as NodeJS.ErrnoException).code === 'string') throw err; // a failing disk: 500
        return refuse(reply, 400, `DCC upload for ${instrument}: ${(err as Error).message}`);
      }
      request.log.info({ instrument, channel: record.channel, certificate: record.certificate, due: record.due }, 'api: DCC imported');
      return reply.code(201).send({ records: [record], dueFrom });
    },
  );
}
