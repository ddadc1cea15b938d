import { conversationIdsOf, conversationRoom, sessionRoom, userRoom } from './socket-rooms';

describe('socket room names', () => {
  it('keeps users, sessions and conversations apart', () => {
    expect(new Set([userRoom('x'), sessionRoom('x'), conversationRoom('x')]).size).toBe(3);
  });

  it('reads the conversation ids back from a socket’s rooms', () => {
    const rooms = new Set([
      'socket-id',
      userRoom('u1'),
      sessionRoom('s1'),
      conversationRoom('r1'),
      conversationRoom('r2'),
    ]);
    expect(conversationIdsOf(rooms)).toEqual(['r1', 'r2']);
  });
});
