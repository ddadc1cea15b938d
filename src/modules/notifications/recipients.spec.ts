import { selectRecipients } from './recipients';

describe('selectRecipients', () => {
  const group = { type: 'group' as const, memberIds: [] };

  it('in a group, mails the mentioned members only', () => {
    expect(selectRecipients({ senderId: 'alice', mentions: ['bob', 'carol'] }, group)).toEqual([
      'bob',
      'carol',
    ]);
    expect(selectRecipients({ senderId: 'alice', mentions: [] }, group)).toEqual([]);
  });

  it('in a direct room, mails the other member even without a mention', () => {
    const direct = { type: 'direct' as const, memberIds: ['alice', 'bob'] };
    expect(selectRecipients({ senderId: 'alice', mentions: [] }, direct)).toEqual(['bob']);
  });

  it('never mails the sender, even when they mention themselves', () => {
    expect(selectRecipients({ senderId: 'alice', mentions: ['alice', 'bob'] }, group)).toEqual(['bob']);
    const direct = { type: 'direct' as const, memberIds: ['alice', 'bob'] };
    expect(selectRecipients({ senderId: 'bob', mentions: ['bob'] }, direct)).toEqual(['alice']);
  });

  it('lists each recipient once when they are both mentioned and the direct peer', () => {
    const direct = { type: 'direct' as const, memberIds: ['alice', 'bob'] };
    expect(selectRecipients({ senderId: 'alice', mentions: ['bob', 'bob'] }, direct)).toEqual(['bob']);
  });
});
