import { DeliveryContext, emailOptedOut, skipReason } from './delivery-rules';

const ready: DeliveryContext = {
  email: 'bob@example.test',
  deleted: false,
  disabled: false,
  emailSetting: undefined,
  roomLive: true,
  lastReadSeq: 3,
  messageDeleted: false,
  senderBlocked: false,
};

describe('emailOptedOut', () => {
  it('is true only for an explicit false', () => {
    expect(emailOptedOut(false)).toBe(true);
    for (const value of [undefined, null, true, 'false', 0, {}, []]) expect(emailOptedOut(value)).toBe(false);
  });
});

describe('skipReason', () => {
  it('lets an unread message to an active member through', () => {
    expect(skipReason(ready, 4)).toBeNull();
  });

  it('skips deleted and disabled accounts', () => {
    expect(skipReason({ ...ready, deleted: true, email: null }, 4)).toBe('recipient_deleted');
    expect(skipReason({ ...ready, email: null }, 4)).toBe('recipient_deleted');
    expect(skipReason({ ...ready, disabled: true }, 4)).toBe('recipient_disabled');
  });

  it('skips users who turned email off', () => {
    expect(skipReason({ ...ready, emailSetting: false }, 4)).toBe('opted_out');
  });

  it('skips when the recipient left the room or the room is gone', () => {
    expect(skipReason({ ...ready, lastReadSeq: null }, 4)).toBe('left_room');
    expect(skipReason({ ...ready, roomLive: false }, 4)).toBe('left_room');
  });

  it('skips a deleted message', () => {
    expect(skipReason({ ...ready, messageDeleted: true }, 4)).toBe('message_deleted');
  });

  it('skips a message from someone the recipient blocked', () => {
    expect(skipReason({ ...ready, senderBlocked: true }, 4)).toBe('sender_blocked');
  });

  it('skips when the recipient has read up to the message or beyond', () => {
    expect(skipReason({ ...ready, lastReadSeq: 4 }, 4)).toBe('already_read');
    expect(skipReason({ ...ready, lastReadSeq: 9 }, 4)).toBe('already_read');
  });
});
