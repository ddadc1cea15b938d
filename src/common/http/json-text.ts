import type { FastifyReply } from 'fastify';
import type { Page } from './pagination';

declare const encodes: unique symbol;

/**
 * Text that already is the JSON encoding of a `T` (for instance built by PostgreSQL), answered as it is instead
 * of being parsed into objects and stringified again. The brand keeps it from being mixed up with other strings.
 */
export type JsonText<T> = string & { readonly [encodes]: T };

/** Marks text as the JSON of a `T`: only for text whose producer guarantees that shape. */
export function asJsonText<T>(text: string): JsonText<T> {
  return text as JsonText<T>;
}

/** `{ items, nextCursor }` around items that are already JSON. */
export function pageJson<T>(items: JsonText<T[]>, nextCursor: string | null): JsonText<Page<T>> {
  return asJsonText(`{"items":${items},"nextCursor":${JSON.stringify(nextCursor)}}`);
}

/**
 * Lets a route answer JsonText as-is: Fastify sends a string with a JSON content type without serialising it.
 * (Without the header it would send text/plain.) Call it once the answer is known, so errors keep their own path.
 */
export function asJsonReply<T>(reply: FastifyReply, text: JsonText<T>): JsonText<T> {
  void reply.type('application/json; charset=utf-8');
  return text;
}
