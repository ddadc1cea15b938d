/** Usernames are 3–32 chars of [a-zA-Z0-9_.-] (API.md); a mention is `@` + one of them. */
const MENTION = /(^|[^A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{3,32})(?![A-Za-z0-9_-])/g;

/** At most this many distinct names are looked up per message, so a spammy message costs one bounded query. */
export const MAX_MENTION_CANDIDATES = 50;

/**
 * The lower-cased usernames a message may mention, in order of first appearance. `@` must start a word, so
 * e-mail addresses (`bob@example.com`) mention nobody. Dots and dashes are legal inside usernames but usually
 * end a sentence (`ask @alice.`), so a token with trailing punctuation also yields its trimmed form; the caller
 * keeps whichever names belong to room members.
 */
export function parseMentionCandidates(content: string): string[] {
  const names = new Set<string>();
  for (const match of content.matchAll(MENTION)) {
    const token = match[2].toLowerCase();
    names.add(token);
    const trimmed = token.replace(/[.-]+$/, '');
    if (trimmed.length >= 3) names.add(trimmed);
    if (names.size >= MAX_MENTION_CANDIDATES) break;
  }
  return [...names].slice(0, MAX_MENTION_CANDIDATES);
}

/**
 * Maps candidate names to user ids of room members, in the order the names appear, without duplicates.
 * `users` are the accounts whose usernames matched case-insensitively; non-members are dropped.
 */
export function resolveMentions(
  candidates: string[],
  users: ReadonlyArray<{ id: string; username: string }>,
  memberIds: ReadonlySet<string>,
): string[] {
  const byName = new Map(users.map((user) => [user.username.toLowerCase(), user.id]));
  const ids: string[] = [];
  for (const name of candidates) {
    const id = byName.get(name);
    if (id && memberIds.has(id) && !ids.includes(id)) ids.push(id);
  }
  return ids;
}
