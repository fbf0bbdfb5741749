// Property tests generated from the served OpenAPI document: for every route, malformed, wrongly typed,
// oversized and unauthorized requests get a 4xx with the one JSON error shape, and nothing is written
// (no workflow started, no row, no event).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Keypair } from '@solana/web3.js';
import { sql } from 'drizzle-orm';
import { API_ROUTES, createApp } from '../../api/app';
import { startHarness, type Harness } from '../support/harness';
import { tokenOf } from '../support/auth';

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  pattern?: string;
  format?: string;
  anyOf?: JsonSchema[];
}
interface Operation {
  'x-quantdesk-auth': 'public' | 'session' | 'operator' | 'alertmanager';
  parameters: { name: string; in: 'path' | 'query'; schema: JsonSchema }[];
  requestBody?: { content: { 'application/json': { schema: JsonSchema } } };
}

let h: Harness;
let doc: { paths: Record<string, Record<string, Operation>> };
const trader = Keypair.generate();
const operator = Keypair.generate();
let tokens: { trader: string; operator: string };

beforeAll(async () => {
  h = await startHarness(
    { QD_OPERATOR_WALLETS: operator.publicKey.toBase58(), QD_RATE_LIMIT_PER_MINUTE: '100000' },
    { worker: false },
  );
  doc = (await (await fetch(`${h.apiUrl}/v1/openapi.json`)).json()) as typeof doc;
  tokens = { trader: await tokenOf(h.apiUrl, trader), operator: await tokenOf(h.apiUrl, operator) };
}, 120_000);

afterAll(async () => {
  await h?.close();
});

/** Everything a request could have written: workflows on this harness's queue, trading rows, account events. */
async function written(): Promise<string> {
  const workflows = await h.temporal.workflow.count(`TaskQueue = "${h.config.temporal.taskQueue}"`);
  const rows = await h.db.execute(
    sql`select (select count(*) from orders) + (select count(*) from deposits) + (select count(*) from withdrawals) + (select count(*) from workflow_runs) + (select count(*) from alert_subscriptions) as n`,
  );
  const events = await h.redis.keys(`${h.config.streamPrefix}:events:*`);
  return JSON.stringify({ workflows: workflows.count, rows: rows.rows[0], events: events.length });
}

/** A value of the wrong JSON type for the schema. */
function wrongType(schema: JsonSchema): fc.Arbitrary<unknown> {
  const type = schema.type ?? (schema.enum ? 'string' : 'object');
  // Strings of the right type that break a format: decimals, exponents, words, empty.
  if (type === 'string' && (schema.pattern || schema.enum)) {
    const breaks = ['12.5', '1e5', '-', '', 'NaN', ' 1', '0x10', '<b>', 'x'.repeat(300)].filter((v) =>
      schema.pattern ? !new RegExp(schema.pattern).test(v) : !schema.enum!.includes(v),
    );
    return fc.oneof(fc.constantFrom(...breaks), fc.integer(), fc.constant(null));
  }
  const others: Record<string, fc.Arbitrary<unknown>> = {
    string: fc.oneof(
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 2 }),
      fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
    ),
    integer: fc.oneof(fc.string(), fc.boolean(), fc.double({ noInteger: true }), fc.constant(null)),
    number: fc.oneof(fc.string(), fc.boolean(), fc.constant(null)),
    boolean: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
    object: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 })),
    array: fc.oneof(fc.string(), fc.integer(), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 })),
  };
  return others[type] ?? fc.constant(null);
}

/** A string the parameter's schema cannot accept. */
function invalidParam(schema: JsonSchema): fc.Arbitrary<string> {
  if (schema.enum) return fc.constantFrom('__nope__', '', 'DROP TABLE');
  if (schema.type === 'integer' || schema.type === 'number')
    return fc.constantFrom('x', '1.5e400', '-1', '99999999999', 'NaN');
  if (schema.format === 'date-time') return fc.constantFrom('yesterday', '2026-13-45T99:00:00Z');
  return fc.constantFrom('!!', '<script>', 'a b', '%00', 'x'.repeat(300));
}

/** Bodies the schema must refuse: wrong top-level type, a wrongly typed field, an unknown field, nothing at all. */
function invalidBody(schema: JsonSchema): fc.Arbitrary<unknown> {
  const props = Object.entries(schema.properties ?? {});
  const arbs: fc.Arbitrary<unknown>[] = [wrongType(schema), fc.constant({})];
  if (props.length) {
    arbs.push(fc.constantFrom(...props).chain(([name, s]) => wrongType(s).map((v) => ({ [name]: v }))));
    arbs.push(fc.record({ unexpected: fc.string() }));
  }
  return fc
    .oneof(...arbs)
    .filter((b) => !(b !== null && typeof b === 'object' && !Array.isArray(b) && props.length === 0));
}

function operations() {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method: method.toUpperCase(), op })),
  );
}

function pathWith(path: string, op: Operation, overrides: Record<string, string> = {}): string {
  // Well-formed values where none is being fuzzed, so the request reaches what is.
  const sample: Record<string, string> = {
    workflowId: `order:${trader.publicKey.toBase58()}:x`,
    account: trader.publicKey.toBase58(),
    symbol: 'SOL-PERP',
  };
  return path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(overrides[name] ?? sample[name] ?? 'x'));
}

async function call(method: string, url: string, token: string | null, body?: string) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${h.apiUrl}${url}`, { method, headers, body });
}

async function expectClientError(res: Response, what: string) {
  expect(res.status, what).toBeGreaterThanOrEqual(400);
  expect(res.status, what).toBeLessThan(500);
  const body = (await res.json()) as { error?: { code?: unknown; message?: unknown; requestId?: unknown } };
  expect(typeof body.error?.code, what).toBe('string');
  expect(typeof body.error?.message, what).toBe('string');
  expect(body.error?.requestId, what).toBe(res.headers.get('x-request-id'));
}

const tokenFor = (op: Operation) => (op['x-quantdesk-auth'] === 'operator' ? tokens.operator : tokens.trader);

describe('the OpenAPI document', () => {
  it('documents every route the API serves', () => {
    const app = createApp({
      config: h.config,
      logger: undefined as never,
      pool: h.pool,
      redis: h.redis,
      temporal: h.temporal,
    });
    const served = new Set<string>();
    const stack = (
      app as unknown as {
        router: {
          stack: { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: unknown[] } }[];
        };
      }
    ).router.stack;
    const walk = (layers: typeof stack) => {
      for (const layer of layers) {
        if (layer.route) for (const m of Object.keys(layer.route.methods)) served.add(`${m} ${layer.route.path}`);
        else if (layer.handle?.stack) walk(layer.handle.stack as typeof stack);
      }
    };
    walk(stack);
    const documented = new Set(API_ROUTES.map((r) => `${r.method} ${r.path}`));
    expect([...served].filter((r) => !documented.has(r))).toEqual([]);
    expect([...documented].filter((r) => !served.has(r))).toEqual([]);
  });
});

describe('every route refuses bad requests with a 4xx JSON error and writes nothing', () => {
  it('malformed and wrongly typed bodies', async () => {
    const before = await written();
    for (const { path, method, op } of operations()) {
      const schema = op.requestBody?.content['application/json'].schema;
      if (!schema) continue;
      await fc.assert(
        fc.asyncProperty(invalidBody(schema), async (body) => {
          await expectClientError(
            await call(method, pathWith(path, op), tokenFor(op), JSON.stringify(body)),
            `${method} ${path} ${JSON.stringify(body)}`,
          );
        }),
        { numRuns: 25 },
      );
      await expectClientError(
        await call(method, pathWith(path, op), tokenFor(op), '{"unterminated": '),
        `${method} ${path} broken JSON`,
      );
      const huge = await call(
        method,
        pathWith(path, op),
        tokenFor(op),
        JSON.stringify({ padding: 'x'.repeat(100_000) }),
      );
      expect(huge.status).toBe(413);
    }
    expect(await written()).toBe(before);
  });

  it('invalid path and query parameters', async () => {
    const before = await written();
    for (const { path, method, op } of operations()) {
      for (const param of op.parameters) {
        await fc.assert(
          fc.asyncProperty(invalidParam(param.schema), async (value) => {
            const url =
              param.in === 'path'
                ? pathWith(path, op, { [param.name]: value })
                : `${pathWith(path, op)}?${new URLSearchParams({ [param.name]: value })}`;
            const body = op.requestBody ? '{}' : undefined;
            await expectClientError(await call(method, url, tokenFor(op), body), `${method} ${url}`);
          }),
          { numRuns: 5 },
        );
      }
      if (!op.parameters.some((p) => p.in === 'query')) continue;
      await expectClientError(
        await call(method, `${pathWith(path, op)}?unknownParameter=1`, tokenFor(op), op.requestBody ? '{}' : undefined),
        `${method} ${path} unknown query`,
      );
    }
    expect(await written()).toBe(before);
  });

  it('no session, an expired one, and the wrong role', async () => {
    const before = await written();
    for (const { path, method, op } of operations()) {
      if (op['x-quantdesk-auth'] === 'public') continue;
      const body = op.requestBody ? '{}' : undefined;
      expect((await call(method, pathWith(path, op), null, body)).status, `${method} ${path}`).toBe(401);
      const expired = await call(method, pathWith(path, op), 'Z'.repeat(43), body);
      expect(expired.status, `${method} ${path}`).toBe(401);
      if (op['x-quantdesk-auth'] === 'operator')
        expect((await call(method, pathWith(path, op), tokens.trader, body)).status, `${method} ${path}`).toBe(403);
    }
    expect(await written()).toBe(before);
  });
});
