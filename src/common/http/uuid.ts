import { Transform } from 'class-transformer';

/**
 * The one spelling of an id: UUIDs are case-insensitive on input (RFC 9562), and PostgreSQL's uuid type matches
 * either case, but Parley also uses ids as text: Socket.IO room names, map keys, comparisons. An upper-case id
 * that reached those as typed found a row in the database and nothing else (a member added under it joined no
 * Socket.IO room; one removed under it kept receiving the room's messages). Every id taken as input is lower-cased
 * here, before anything uses it. Values that are not strings are left for validation to refuse.
 */
export function canonicalUuid(value: unknown): unknown {
  return typeof value === 'string' ? value.toLowerCase() : value;
}

/** Lower-cases a UUID field (or each element of an array of them) before validation; see canonicalUuid. */
export function CanonicalUuid(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) =>
    Array.isArray(value) ? value.map(canonicalUuid) : canonicalUuid(value),
  );
}
