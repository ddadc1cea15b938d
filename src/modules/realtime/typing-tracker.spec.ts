import { TypingKey, TypingTracker } from './typing-tracker';

describe('TypingTracker', () => {
  let expired: TypingKey[];
  let tracker: TypingTracker;

  beforeEach(() => {
    jest.useFakeTimers();
    expired = [];
    tracker = new TypingTracker(5000, (key) => expired.push(key));
  });

  afterEach(() => {
    tracker.clear();
    jest.useRealTimers();
  });

  it('reports only the first start, not refreshes', () => {
    expect(tracker.start('r1', 'u1', 's1')).toBe(true);
    expect(tracker.start('r1', 'u1', 's1')).toBe(false);
    expect(tracker.start('r2', 'u1', 's1')).toBe(true);
    expect(tracker.start('r1', 'u2', 's2')).toBe(true);
  });

  it('expires by itself after the ttl without a refresh', () => {
    tracker.start('r1', 'u1', 's1');
    jest.advanceTimersByTime(4999);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(expired).toEqual([{ roomId: 'r1', userId: 'u1' }]);
    expect(tracker.isTyping('r1', 'u1')).toBe(false);
  });

  it('a refresh pushes the expiry back', () => {
    tracker.start('r1', 'u1', 's1');
    jest.advanceTimersByTime(4000);
    tracker.start('r1', 'u1', 's1');
    jest.advanceTimersByTime(4000);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(1000);
    expect(expired).toHaveLength(1);
  });

  it('stop reports whether the user was typing and cancels the expiry', () => {
    expect(tracker.stop('r1', 'u1')).toBe(false);
    tracker.start('r1', 'u1', 's1');
    expect(tracker.stop('r1', 'u1')).toBe(true);
    jest.advanceTimersByTime(10_000);
    expect(expired).toEqual([]);
  });

  it('drops what a disconnected socket started, and only that', () => {
    tracker.start('r1', 'u1', 's1');
    tracker.start('r2', 'u1', 's1');
    tracker.start('r1', 'u2', 's2');
    expect(tracker.dropSocket('s1')).toEqual([
      { roomId: 'r1', userId: 'u1' },
      { roomId: 'r2', userId: 'u1' },
    ]);
    expect(tracker.isTyping('r1', 'u2')).toBe(true);
    jest.advanceTimersByTime(10_000);
    expect(expired).toEqual([{ roomId: 'r1', userId: 'u2' }]);
  });
});
