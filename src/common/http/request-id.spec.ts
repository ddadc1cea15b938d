import type { IncomingMessage } from 'node:http';
import { generateRequestId, REQUEST_ID_HEADER } from './request-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function requestWith(value?: string | string[]): IncomingMessage {
  const headers: IncomingMessage['headers'] = {};
  if (value !== undefined) headers[REQUEST_ID_HEADER] = value;
  return { headers } as IncomingMessage;
}

describe('generateRequestId', () => {
  it.each(['abc-123', '7f1c2a9e-52b4-4c1e-9a66-0e0d1f2a3b4c', 'trace.id:part_2', 'x'.repeat(128)])(
    'reuses a safe caller id %s',
    (given) => {
      expect(generateRequestId(requestWith(given))).toBe(given);
    },
  );

  it('mints a UUID when the caller sent none', () => {
    expect(generateRequestId(requestWith())).toMatch(UUID);
  });

  it('mints a fresh id per request', () => {
    expect(generateRequestId(requestWith())).not.toBe(generateRequestId(requestWith()));
  });

  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(129)],
    ['with spaces', 'has spaces'],
    ['with a newline (log injection)', 'abc\n{"level":60}'],
    ['with quotes', 'a"b'],
    ['non-ASCII', 'ïd'],
  ])('replaces an unsafe id (%s) with a UUID', (_label, given) => {
    expect(generateRequestId(requestWith(given))).toMatch(UUID);
  });

  it('ignores a repeated header', () => {
    expect(generateRequestId(requestWith(['a', 'b']))).toMatch(UUID);
  });

  it('writes the chosen id back to the raw headers, so the request logger uses the same one', () => {
    const request = requestWith('bad id');
    const id = generateRequestId(request);
    expect(request.headers[REQUEST_ID_HEADER]).toBe(id);
  });
});
