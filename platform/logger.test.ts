import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from './logger';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('writes structured JSON with the service name', () => {
    const { lines, stream } = capture();
    createLogger({ level: 'info', name: 'api' }, stream).info({ requestId: 'r1' }, 'hello');
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ service: 'api', requestId: 'r1', msg: 'hello', level: 30 });
  });

  it('redacts authorization headers, cookies and secret-looking fields', () => {
    const { lines, stream } = capture();
    createLogger({ level: 'info', name: 'api' }, stream).info(
      {
        req: { headers: { authorization: 'Bearer abc.def', cookie: 'sid=xyz' } },
        wallet: { secretKey: '5Jv...', privateKey: 'k', password: 'p', signature: 'sig' },
      },
      'request',
    );
    const text = lines.join('');
    for (const secret of ['Bearer abc.def', 'sid=xyz', '5Jv...', '"k"', '"p"', '"sig"'])
      expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });
});
