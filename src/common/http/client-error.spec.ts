import { clientErrorResponse } from './client-error';

function parse(raw: string): { head: string[]; body: Record<string, unknown> } {
  const [head, body] = raw.split('\r\n\r\n');
  return { head: head.split('\r\n'), body: JSON.parse(body) as Record<string, unknown> };
}

describe('clientErrorResponse', () => {
  it('answers a malformed request with 400 in the contract shape, with the request id in header and body', () => {
    const { head, body } = parse(clientErrorResponse({ code: 'HPE_INVALID_METHOD' }, 'req-1')!);
    expect(head[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(head).toContain('x-request-id: req-1');
    expect(body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      code: 'BAD_REQUEST',
      message: expect.stringContaining('Malformed HTTP request'),
      requestId: 'req-1',
    });
  });

  it('gives oversized headers 431 and a slow request 408', () => {
    expect(parse(clientErrorResponse({ code: 'HPE_HEADER_OVERFLOW' })!).body.statusCode).toBe(431);
    expect(parse(clientErrorResponse({ code: 'ERR_HTTP_REQUEST_TIMEOUT' })!).body.statusCode).toBe(408);
  });

  it('states the exact body length, so the client can read the whole answer', () => {
    const raw = clientErrorResponse({}, 'ünïcode-id')!;
    const length = Number(/Content-Length: (\d+)/.exec(raw)![1]);
    expect(Buffer.byteLength(raw.split('\r\n\r\n')[1])).toBe(length);
  });

  it('writes nothing to a connection the client reset', () => {
    expect(clientErrorResponse({ code: 'ECONNRESET' })).toBeNull();
  });
});
