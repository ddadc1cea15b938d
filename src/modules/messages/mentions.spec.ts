import { MAX_MENTION_CANDIDATES, parseMentionCandidates, resolveMentions } from './mentions';

describe('parseMentionCandidates', () => {
  it('finds @usernames anywhere in the text, lower-cased, in order, once each', () => {
    expect(parseMentionCandidates('@Alice hi, @bob_1 and @ALICE again')).toEqual(['alice', 'bob_1']);
  });

  it('accepts dots and dashes inside names', () => {
    expect(parseMentionCandidates('cc @jean-luc.picard please')).toEqual(['jean-luc.picard']);
  });

  it('also offers the name without trailing sentence punctuation', () => {
    expect(parseMentionCandidates('ask @alice.')).toEqual(['alice.', 'alice']);
    expect(parseMentionCandidates('thanks @bob!')).toEqual(['bob']);
    expect(parseMentionCandidates('(@carol), [@dave]')).toEqual(['carol', 'dave']);
  });

  it('ignores e-mail addresses and double @', () => {
    expect(parseMentionCandidates('mail bob@example.com or a@@bob')).toEqual([]);
  });

  it('ignores names that are too short or too long', () => {
    expect(parseMentionCandidates('@ab @abc')).toEqual(['abc']);
    expect(parseMentionCandidates(`@${'x'.repeat(33)}`)).toEqual([]);
    expect(parseMentionCandidates(`@${'x'.repeat(32)}`)).toEqual(['x'.repeat(32)]);
  });

  it('handles mentions at line starts and after non-Latin text', () => {
    expect(parseMentionCandidates('привет @ivan\n@olga')).toEqual(['ivan', 'olga']);
  });

  it('returns nothing for text without mentions', () => {
    expect(parseMentionCandidates('no mentions here @ all')).toEqual([]);
  });

  it('bounds the number of candidates', () => {
    const text = Array.from({ length: 80 }, (_, i) => `@user${i}`).join(' ');
    expect(parseMentionCandidates(text)).toHaveLength(MAX_MENTION_CANDIDATES);
  });
});

describe('resolveMentions', () => {
  const users = [
    { id: 'id-alice', username: 'Alice' },
    { id: 'id-bob', username: 'bob' },
    { id: 'id-eve', username: 'eve' },
  ];

  it('keeps room members, in order of appearance, without duplicates', () => {
    const members = new Set(['id-alice', 'id-bob']);
    expect(resolveMentions(['bob', 'alice', 'eve', 'unknown', 'bob'], users, members)).toEqual([
      'id-bob',
      'id-alice',
    ]);
  });

  it('maps case-insensitively', () => {
    expect(resolveMentions(['alice'], users, new Set(['id-alice']))).toEqual(['id-alice']);
  });
});
