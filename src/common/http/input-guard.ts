import type { FastifyInstance } from 'fastify';
import { AppException, type ErrorDetail } from '../errors/app-exception';

/**
 * How deep a request's JSON may nest. No route takes more than a few levels (settings objects are the deepest);
 * class-transformer recurses once per level, and thousands of levels overflowed its stack (a 500).
 */
export const MAX_INPUT_DEPTH = 32;

const NUL = '\u0000';

/**
 * A UTF-16 surrogate that is not half of a pair (JSON can carry one as `"\ud800"`). It has no UTF-8 encoding:
 * PostgreSQL's text columns would store U+FFFD in its place (so two different client message ids became one and
 * the second send was answered with the first message), jsonb refuses it outright (a 500), and validator.js's
 * isEmail throws on it (a 500).
 */
const LONE_SURROGATE = /\p{Cs}/u;

/** Whether `text` is well-formed UTF-16: every surrogate is half of a pair. */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/** The validation message for text with an unpaired surrogate, wherever it is checked. */
export function notWellFormedMessage(field: string): string {
  return `${field} must be well-formed Unicode text (no unpaired surrogates)`;
}

/** Why `text` cannot be stored as it is, as the message of a validation detail; undefined when it can. */
function unstorableText(text: string, field: string): string | undefined {
  if (text.includes(NUL)) return `${field} must not contain NUL characters`;
  if (!isWellFormedText(text)) return notWellFormedMessage(field);
  return undefined;
}

/**
 * The first thing in `value` no route can take, as a validation detail: text or a key containing NUL (PostgreSQL
 * cannot store it in text and refuses the whole statement) or an unpaired surrogate (see LONE_SURROGATE), or
 * nesting deeper than MAX_INPUT_DEPTH (reported on the top-level field it is under). It never descends below
 * that depth, so the walk itself cannot overflow.
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
    const problem = unstorableText(value, field || 'value');
    return problem === undefined ? undefined : detail(field, problem);
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
    const keyProblem = unstorableText(key, 'field names');
    if (keyProblem) return { field: path, message: keyProblem };
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
