/**
 * One error shape for every failure: `{ error: { code, message } }` with the catalog's
 * status. Schema validation → 400 INVALID_ARGUMENT; unknown routes → 404 NOT_FOUND;
 * anything unexpected → 500 INTERNAL (logged, details not sent).
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { TapedeckError, type ErrorCode } from '../errors.js';

export type ErrorBody = { readonly error: { readonly code: ErrorCode; readonly message: string } };

export const ERROR_BODY_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      additionalProperties: true,
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;

export function errorBody(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | TapedeckError, request, reply) => {
    if (error instanceof TapedeckError) {
      if (error.status >= 500) request.log.error({ err: error }, 'request failed');
      const body = errorBody(error.code, error.message);
      return reply
        .status(error.status)
        .send(error.details === undefined ? body : { error: { ...error.details, ...body.error } });
    }
    if (error.validation !== undefined) {
      return reply.status(400).send(errorBody('INVALID_ARGUMENT', error.message));
    }
    const status = error.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.status(status).send(errorBody('INVALID_ARGUMENT', error.message));
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send(errorBody('INTERNAL', 'internal error'));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send(
        errorBody('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`),
      ),
  );
}
