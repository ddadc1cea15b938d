import type { TestApp } from './app';

export interface HttpResult<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  token?: string;
  headers?: Record<string, string>;
  /** Sent as-is (no JSON encoding): for malformed-body tests. */
  rawBody?: string | Buffer;
}

export type Body = Record<string, unknown> | unknown[] | undefined;

/** A small HTTP client bound to one test server; JSON in, JSON out, nothing hidden. */
export class Http {
  constructor(private readonly baseUrl: string) {}

  static for(app: TestApp): Http {
    return new Http(app.url);
  }

  async request<T = any>(
    method: string,
    path: string,
    body?: Body,
    options: RequestOptions = {},
  ): Promise<HttpResult<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let payload: string | Buffer | undefined = options.rawBody;
    if (payload === undefined && body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body: payload });
    const text = await response.text();
    let parsed: unknown = text;
    if (response.headers.get('content-type')?.includes('json') && text) parsed = JSON.parse(text);
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }

  get<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, undefined, options);
  }
  post<T = any>(path: string, body?: Body, options?: RequestOptions) {
    return this.request<T>('POST', path, body, options);
  }
  put<T = any>(path: string, body?: Body, options?: RequestOptions) {
    return this.request<T>('PUT', path, body, options);
  }
  patch<T = any>(path: string, body?: Body, options?: RequestOptions) {
    return this.request<T>('PATCH', path, body, options);
  }
  delete<T = any>(path: string, body?: Body, options?: RequestOptions) {
    return this.request<T>('DELETE', path, body, options);
  }
}

/** Asserts the contract's error shape (API.md) and returns the body for further checks. */
export function expectError(result: HttpResult, status: number, code?: string): Record<string, any> {
  const body = result.body as Record<string, any>;
  expect({ status: result.status, code: body?.code }).toEqual({ status, code: code ?? body?.code });
  expect(body).toEqual(
    expect.objectContaining({
      statusCode: status,
      error: expect.any(String),
      code: expect.any(String),
      message: expect.any(String),
      requestId: result.headers.get('x-request-id'),
    }),
  );
  return body;
}
