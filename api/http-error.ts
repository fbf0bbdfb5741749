import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';
import { isGrpcServiceError, ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';

/** The one error shape every route answers with: { error: { code, message, requestId, details? } }. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'body' | 'params' | 'query',
): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new HttpError(
    400,
    'invalid_request',
    `invalid ${where}`,
    parsed.error.issues.map((issue) => ({
      path: issue.path.join('.'),
      message: issue.message,
    })),
  );
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not_found', `no route for ${req.method} ${req.path}`));
};

/** Seconds a client should wait before retrying while Temporal is unreachable. */
export const TEMPORAL_RETRY_AFTER_SECONDS = 5;

// gRPC status codes of a server that cannot be reached or did not answer in time.
const UNREACHABLE = new Set([14 /* UNAVAILABLE */, 4 /* DEADLINE_EXCEEDED */]);

/** Whether a Temporal client call failed because the server is down or unreachable (not a refusal). */
export function isTemporalUnavailable(err: unknown): boolean {
  // The gRPC error itself, or the cause of the client's wrapper (a ServiceError; an update's
  // WorkflowUpdateRPCTimeoutOrCancelledError when the request's deadline passed).
  const grpc = isGrpcServiceError(err)
    ? err
    : (err instanceof ServiceError || err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) &&
        isGrpcServiceError(err.cause)
      ? err.cause
      : null;
  return grpc !== null && UNREACHABLE.has(grpc.code);
}

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const known = toHttpError(err);
  if (known.status >= 500) req.log.error({ err }, 'request failed');
  if (known.code === 'temporal_unavailable') res.setHeader('Retry-After', String(TEMPORAL_RETRY_AFTER_SECONDS));
  res.status(known.status).json({
    error: {
      code: known.code,
      message: known.message,
      requestId: String(req.id),
      ...(known.details ? { details: known.details } : {}),
    },
  });
};

function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (isTemporalUnavailable(err))
    return new HttpError(503, 'temporal_unavailable', 'the workflow service is unreachable; retry shortly');
  // body-parser marks its own failures with `type` and `status`.
  const e = err as { type?: string; status?: number; message?: string };
  if (e?.type === 'entity.parse.failed') return new HttpError(400, 'invalid_json', 'request body is not valid JSON');
  if (e?.type === 'entity.too.large') return new HttpError(413, 'payload_too_large', 'request body is too large');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
    return new HttpError(415, 'unsupported_encoding', e.message ?? 'unsupported encoding');
  }
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return new HttpError(e.status, 'bad_request', e.message ?? 'bad request');
  }
  return new HttpError(500, 'internal', 'internal error');
}
