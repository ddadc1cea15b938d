import type { FastifyInstance } from 'fastify';
import { AppException, type ErrorDetail } from '../errors/app-exception';

/**
 * How deep a request's JSON may nest. No route takes more than a few levels (settings objects are the deepest);
 * class-transformer recurses once per level, and thousands of levels overflowed its stack (a 500).
 */
export const MAX_INPUT_DEPTH = 32;

const NUL = '\u0000';

/**
 * The first thing in `value` no route can take, as a validation detail: text or a key containing NUL (PostgreSQL
 * cannot store it in text and refuses the whole statement), or nesting deeper than MAX_INPUT_DEPTH (reported on
 * the top-level field it is under). It never descends below that depth, so the walk itself cannot overflow.
 */
export function findUnsafeInput(value: unknown, field: string): ErrorDetail | undefined {
  return walk(value, field, field, 0);
}

/** A detail naming its field, or the whole body (query, parameters) when the field is ''. */
function detail(field: string, message: string): ErrorDetail {
  return field ? { field, message } : { message };
}

function walk(value: unknown, field: string, topField: string, depth: number): ErrorDetail | undefined {
  if (typeof value === 'string') {
    if (!value.includes(NUL)) return undefined;
    return detail(field, `${field || 'value'} must not contain NUL characters`);
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth >= MAX_INPUT_DEPTH) {
    return detail(
      topField,
      `${topField || 'value'} is nested too deeply (at most ${MAX_INPUT_DEPTH} levels)`,
    );
  }
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = walk(value[index], `${field}[${index}]`, topField, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    const path = field ? `${field}.${key}` : key;
    if (key.includes(NUL)) return { field: path, message: 'field names must not contain NUL characters' };
    const found = walk(item, path, topField || path, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * Refuses, with 400 VALIDATION_FAILED, a request whose body, query or path parameters hold what findUnsafeInput
 * finds, before any route sees it: each DTO would otherwise need its own rule on every text field, and one
 * missing rule is a 500 (as it was for display names, room names, settings and search terms).
 */
export function refuseUnsafeInput(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', (request, _reply, done) => {
    const found =
      findUnsafeInput(request.params, '') ??
      findUnsafeInput(request.query, '') ??
      findUnsafeInput(request.body, '');
    done(found ? AppException.validation([found]) : undefined);
  });
}
