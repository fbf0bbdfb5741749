import { z } from 'zod';

/**
 * Who may call a route: anyone, a signed-in wallet, an operator (session role or service token), or
 * Alertmanager (its own webhook token, QD_ALERT_WEBHOOK_TOKEN).
 */
export type RouteAuth = 'public' | 'session' | 'operator' | 'alertmanager';

/**
 * A route as documented: the same zod schemas the handler parses its input with, so the OpenAPI
 * document (and the property tests generated from it) cannot drift from what the API accepts.
 */
export interface RouteSpec {
  method: 'get' | 'post' | 'delete';
  /** Express-style, e.g. /v1/orders/:workflowId/cancel. */
  path: string;
  summary: string;
  auth: RouteAuth;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Status code -> what it means. Error statuses share the ErrorResponse schema. */
  responses: Record<number, string>;
}

/** The errors every signed-in route may answer, for its `responses`. */
export const SESSION_ERRORS = { 400: 'invalid input', 401: 'not signed in', 429: 'rate limited' } as const;

const errorResponse = z.object({
  error: z.object({
    code: z.string().describe('machine-readable, e.g. invalid_request, unauthenticated, rate_limited'),
    message: z.string(),
    requestId: z.string().describe('also in the X-Request-Id header'),
    details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

const jsonSchema = (schema: z.ZodType) =>
  z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'openapi-3.0' }) as Record<string, unknown>;

function parametersOf(schema: z.ZodType | undefined, location: 'path' | 'query') {
  if (!schema) return [];
  const s = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(s.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || (s.required ?? []).includes(name),
    schema: property,
  }));
}

/** OpenAPI 3.0 for the routes, generated from their zod schemas. */
export function openApiDocument(
  specs: readonly RouteSpec[],
  info: { title: string; version: string; description: string },
) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of specs) {
    const path = spec.path.replace(/:([A-Za-z]+)/g, '{$1}');
    paths[path] ??= {};
    paths[path][spec.method] = {
      summary: spec.summary,
      operationId: `${spec.method}${path
        .replace(/[{}]/g, '')
        .split('/')
        .filter(Boolean)
        .map((p) => p[0]!.toUpperCase() + p.slice(1))
        .join('')}`,
      ...(spec.auth === 'public' ? { security: [] } : {}),
      'x-quantdesk-auth': spec.auth,
      parameters: [...parametersOf(spec.params, 'path'), ...parametersOf(spec.query, 'query')],
      ...(spec.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(spec.body) } } } }
        : {}),
      responses: Object.fromEntries(
        Object.entries(spec.responses).map(([status, description]) => [
          status,
          Number(status) >= 400
            ? {
                description,
                content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } },
              }
            : { description },
        ]),
      ),
    };
  }
  return {
    openapi: '3.0.3',
    info,
    servers: [{ url: '/' }],
    security: [{ session: [] }],
    components: {
      securitySchemes: {
        session: {
          type: 'http',
          scheme: 'bearer',
          description: 'Sign-In With Solana: POST /v1/auth/nonce, sign the message, POST /v1/auth/session',
        },
      },
      schemas: { ErrorResponse: jsonSchema(errorResponse) },
    },
    paths,
  };
}
