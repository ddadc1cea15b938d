import { SEARCH_VECTOR_EXPRESSION, searchQueryText } from './search-text';

describe('searchQueryText', () => {
  it('leaves searches without Chinese, Japanese or Korean characters as typed', () => {
    for (const query of ['hello world', '"exact phrase" -not or maybe', 'привет мир', '"unterminated', '']) {
      expect(searchQueryText(query)).toBe(query);
    }
  });

  it('turns a run of such characters into a phrase of single characters', () => {
    expect(searchQueryText('会议')).toBe('"会 议"');
    expect(searchQueryText('会議室 予約')).toBe('"会 議 室" "予 約"');
    expect(searchQueryText('회의는')).toBe('"회 의 는"');
  });

  it('keeps the neighbouring letters of a mixed word in the same phrase', () => {
    expect(searchQueryText('Parley的设计')).toBe('"Parley 的 设 计"');
    expect(searchQueryText('hello 世界 world')).toBe('hello "世 界" world');
  });

  it('keeps exclusion and alternatives', () => {
    expect(searchQueryText('-会议 讨论')).toBe('-"会 议" "讨 论"');
    expect(searchQueryText('会议 or 讨论')).toBe('"会 议" or "讨 论"');
  });

  it('spaces the characters out inside a quoted phrase, terminated or not', () => {
    expect(searchQueryText('"明天 会议" foo')).toBe('" 明 天 会 议 " foo');
    expect(searchQueryText('foo "会议')).toBe('foo " 会 议 ');
  });

  it('handles supplementary-plane ideographs as single characters', () => {
    expect(searchQueryText('𠮷野家')).toBe('"𠮷 野 家"');
  });
});

describe('SEARCH_VECTOR_EXPRESSION', () => {
  it('spaces out the same ranges in SQL, with PostgreSQL escapes', () => {
    expect(SEARCH_VECTOR_EXPRESSION).toContain(`'([\\u1100-\\u11FF`);
    expect(SEARCH_VECTOR_EXPRESSION).toContain(`\\U00020000-\\U0003FFFF])', ' \\1 ', 'g'))`);
  });
});
