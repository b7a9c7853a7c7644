import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { intervalReports } from '../../checks/interval-history.js';
import type { ApiContext } from '../api-context.js';
import { CalibrationQuery, errors } from '../schemas.js';
import { notFound } from './instruments.js';

const Suggestion = Type.Object({
  method: Type.Union([Type.Literal('staircase'), Type.Literal('control-chart')]),
  months: Type.Union([Type.Integer(), Type.Null()], { description: 'null: too little history for this method (the evidence says why)' }),
  evidence: Type.Array(Type.String()),
});

const IntervalReportSchema = Type.Object({
  instrument: Type.String(),
  channel: Type.Union([Type.String(), Type.Null()]),
  unit: Type.String(),
  certificates: Type.Integer(),
  lastCertificate: Type.String(),
  lastCalibrated: Type.String(),
  due: Type.String(),
  currentMonths: Type.Integer(),
  suggestions: Type.Array(Suggestion),
  skipped: Type.Array(Type.String()),
});

/** GET /api/intervals: the recalibration-interval suggestions from the records the gateway holds. */
export async function intervalRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const { deps } = ctx;
  app.get<{ Querystring: CalibrationQuery }>(
    '/api/intervals',
    {
      schema: {
        summary: 'Suggested recalibration intervals (staircase and control-chart methods, ILAC-G24) with their evidence; due dates are never changed',
        tags: ['calibration'],
        querystring: CalibrationQuery,
        response: { 200: Type.Object({ reports: Type.Array(IntervalReportSchema) }), ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      const only = request.query.instrument;
      if (only !== undefined && !deps.instruments.some((i) => i.id === only)) return notFound(reply, only);
      return { reports: intervalReports(deps.calibration.records(only)) };
    },
  );
}
