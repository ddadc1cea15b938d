import { randomUUID } from 'node:crypto';
import { TestApp } from '../support/app';
import { expectError, Http, HttpResult } from '../support/http';
import { RegisteredUser } from '../support/users';
import { Api, registerUsers, startConversationsApp } from './helpers';

type Actor = 'outsider' | 'member' | 'admin' | 'owner';
const ACTORS: Actor[] = ['outsider', 'member', 'admin', 'owner'];

/** A fresh group per case: owner, two admins, two members, messages by both members, and one outsider. */
interface Fixture {
  roomId: string;
  users: Record<Actor | 'admin2' | 'member2' | 'newcomer', RegisteredUser>;
  /** A message by `member`. */
  memberMessageId: string;
  /** A message by `member2`. */
  member2MessageId: string;
}

interface Case {
  name: string;
  call: (fixture: Fixture, http: Http, actor: RegisteredUser) => Promise<HttpResult<any>>;
  /** Expected status per actor (with the error code for errors). */
  expect: Record<Actor, number | [number, string]>;
}

const NF_ROOM: [number, string] = [404, 'ROOM_NOT_FOUND'];
const NF_MESSAGE: [number, string] = [404, 'MESSAGE_NOT_FOUND'];
const FORBIDDEN: [number, string] = [403, 'FORBIDDEN'];

const t = (user: RegisteredUser) => ({ token: user.accessToken });

// Non-members get 404 for everything about a room (existence does not leak); members lacking the role get 403.
const CASES: Case[] = [
  {
    name: 'GET /rooms/:id',
    call: (f, http, a) => http.get(`/api/v1/rooms/${f.roomId}`, t(a)),
    expect: { outsider: NF_ROOM, member: 200, admin: 200, owner: 200 },
  },
  {
    name: 'PATCH /rooms/:id',
    call: (f, http, a) => http.patch(`/api/v1/rooms/${f.roomId}`, { name: 'renamed' }, t(a)),
    expect: { outsider: NF_ROOM, member: FORBIDDEN, admin: 200, owner: 200 },
  },
  {
    name: 'DELETE /rooms/:id',
    call: (f, http, a) => http.delete(`/api/v1/rooms/${f.roomId}`, undefined, t(a)),
    expect: { outsider: NF_ROOM, member: FORBIDDEN, admin: FORBIDDEN, owner: 204 },
  },
  {
    name: 'GET /rooms/:id/members',
    call: (f, http, a) => http.get(`/api/v1/rooms/${f.roomId}/members`, t(a)),
    expect: { outsider: NF_ROOM, member: 200, admin: 200, owner: 200 },
  },
  {
    name: 'POST /rooms/:id/members',
    call: (f, http, a) =>
      http.post(`/api/v1/rooms/${f.roomId}/members`, { userIds: [f.users.newcomer.user.id] }, t(a)),
    expect: { outsider: NF_ROOM, member: FORBIDDEN, admin: 201, owner: 201 },
  },
  {
    name: 'PATCH /rooms/:id/members/:userId member -> admin',
    call: (f, http, a) =>
      http.patch(`/api/v1/rooms/${f.roomId}/members/${f.users.member2.user.id}`, { role: 'admin' }, t(a)),
    expect: { outsider: NF_ROOM, member: FORBIDDEN, admin: 200, owner: 200 },
  },
  {
    name: 'PATCH /rooms/:id/members/:userId admin -> member',
    call: (f, http, a) =>
      http.patch(`/api/v1/rooms/${f.roomId}/members/${f.users.admin2.user.id}`, { role: 'member' }, t(a)),
    expect: { outsider: NF_ROOM, member: FORBIDDEN, admin: 200, owner: 200 },
  },
  {
    name: 'PATCH /rooms/:id/members/:userId member -> owner',
    call: (f, http, a) =>
      http.patch(`/api/v1/rooms/${f.roomId}/members/${f.users.member2.user.id}`, { role: 'owner' }, t(a)),
    expect: { outsider: NF_ROOM, member: FORBIDDEN, admin: FORBIDDEN, owner: 200 },
  },
  {
    name: 'PATCH /rooms/:id/members/:userId demote the (last) owner',
    call: (f, http, a) =>
      http.patch(`/api/v1/rooms/${f.roomId}/members/${f.users.owner.user.id}`, { role: 'member' }, t(a)),
    expect: { outsider: NF_ROOM, member: FORBIDDEN, admin: FORBIDDEN, owner: [409, 'LAST_OWNER'] },
  },
  {
    name: 'DELETE /rooms/:id/members/:userId remove a member',
    call: (f, http, a) =>
      http.delete(`/api/v1/rooms/${f.roomId}/members/${f.users.member2.user.id}`, undefined, t(a)),
    expect: { outsider: NF_ROOM, member: FORBIDDEN, admin: 204, owner: 204 },
  },
  {
    name: 'DELETE /rooms/:id/members/:userId remove an admin',
    call: (f, http, a) =>
      http.delete(`/api/v1/rooms/${f.roomId}/members/${f.users.admin2.user.id}`, undefined, t(a)),
    expect: { outsider: NF_ROOM, member: FORBIDDEN, admin: FORBIDDEN, owner: 204 },
  },
  {
    name: 'DELETE /rooms/:id/members/:userId leave (own id)',
    call: (f, http, a) => http.delete(`/api/v1/rooms/${f.roomId}/members/${a.user.id}`, undefined, t(a)),
    expect: { outsider: NF_ROOM, member: 204, admin: 204, owner: [409, 'LAST_OWNER'] },
  },
  {
    name: 'POST /rooms/:id/read',
    call: (f, http, a) => http.post(`/api/v1/rooms/${f.roomId}/read`, { seq: 1 }, t(a)),
    expect: { outsider: NF_ROOM, member: 204, admin: 204, owner: 204 },
  },
  {
    name: 'GET /rooms/:id/changes',
    call: (f, http, a) => http.get(`/api/v1/rooms/${f.roomId}/changes?sinceRev=0`, t(a)),
    expect: { outsider: NF_ROOM, member: 200, admin: 200, owner: 200 },
  },
  {
    name: 'POST /rooms/:id/messages',
    call: (f, http, a) =>
      http.post(`/api/v1/rooms/${f.roomId}/messages`, { clientMessageId: randomUUID(), content: 'hi' }, t(a)),
    expect: { outsider: NF_ROOM, member: 201, admin: 201, owner: 201 },
  },
  {
    name: 'GET /rooms/:id/messages',
    call: (f, http, a) => http.get(`/api/v1/rooms/${f.roomId}/messages`, t(a)),
    expect: { outsider: NF_ROOM, member: 200, admin: 200, owner: 200 },
  },
  {
    name: 'GET /rooms/:id/messages?parentId= (thread)',
    call: (f, http, a) => http.get(`/api/v1/rooms/${f.roomId}/messages?parentId=${f.memberMessageId}`, t(a)),
    expect: { outsider: NF_ROOM, member: 200, admin: 200, owner: 200 },
  },
  {
    name: 'GET /messages/:id',
    call: (f, http, a) => http.get(`/api/v1/messages/${f.memberMessageId}`, t(a)),
    expect: { outsider: NF_MESSAGE, member: 200, admin: 200, owner: 200 },
  },
  {
    name: 'GET /messages/:id/versions',
    call: (f, http, a) => http.get(`/api/v1/messages/${f.memberMessageId}/versions`, t(a)),
    expect: { outsider: NF_MESSAGE, member: 200, admin: 200, owner: 200 },
  },
  {
    name: "PATCH /messages/:id (member's message)",
    call: (f, http, a) => http.patch(`/api/v1/messages/${f.memberMessageId}`, { content: 'edited' }, t(a)),
    expect: { outsider: NF_MESSAGE, member: 200, admin: FORBIDDEN, owner: FORBIDDEN },
  },
  {
    name: "DELETE /messages/:id (member's own message)",
    call: (f, http, a) => http.delete(`/api/v1/messages/${f.memberMessageId}`, undefined, t(a)),
    expect: { outsider: NF_MESSAGE, member: 204, admin: 204, owner: 204 },
  },
  {
    name: "DELETE /messages/:id (someone else's message)",
    call: (f, http, a) => http.delete(`/api/v1/messages/${f.member2MessageId}`, undefined, t(a)),
    expect: { outsider: NF_MESSAGE, member: FORBIDDEN, admin: 204, owner: 204 },
  },
  {
    name: 'PUT /messages/:id/reactions/:emoji',
    call: (f, http, a) => http.put(`/api/v1/messages/${f.memberMessageId}/reactions/ok`, undefined, t(a)),
    expect: { outsider: NF_MESSAGE, member: 204, admin: 204, owner: 204 },
  },
  {
    name: 'DELETE /messages/:id/reactions/:emoji',
    call: (f, http, a) => http.delete(`/api/v1/messages/${f.memberMessageId}/reactions/ok`, undefined, t(a)),
    expect: { outsider: NF_MESSAGE, member: 204, admin: 204, owner: 204 },
  },
  {
    name: 'GET /messages/search?roomId=',
    call: (f, http, a) => http.get(`/api/v1/messages/search?q=hello&roomId=${f.roomId}`, t(a)),
    expect: { outsider: NF_ROOM, member: 200, admin: 200, owner: 200 },
  },
];

describe('authorization matrix: non-member, member, admin, owner x every room and message route', () => {
  let app: TestApp;
  let http: Http;
  let api: Api;
  let people: RegisteredUser[];

  beforeAll(async () => {
    app = await startConversationsApp();
    http = Http.for(app);
    api = new Api(app);
    people = await registerUsers(app, 7);
  });
  afterAll(async () => {
    await app.stop();
  });

  async function fixture(): Promise<Fixture> {
    const [owner, admin, admin2, member, member2, outsider, newcomer] = people;
    const room = await api.createGroup(owner, [admin, admin2, member, member2]);
    await api.setRole(owner, room.id, admin, 'admin');
    await api.setRole(owner, room.id, admin2, 'admin');
    const memberMessage = await api.send(member, room.id, 'hello from member');
    const member2Message = await api.send(member2, room.id, 'hello from member2');
    return {
      roomId: room.id,
      users: { owner, admin, admin2, member, member2, outsider, newcomer },
      memberMessageId: memberMessage.id,
      member2MessageId: member2Message.id,
    };
  }

  const table = CASES.flatMap((c) => ACTORS.map((actor) => [c.name, actor, c] as const));

  it.each(table)('%s as %s', async (_name, actor, c) => {
    const f = await fixture();
    const res = await c.call(f, http, f.users[actor]);
    const expected = c.expect[actor];
    if (Array.isArray(expected)) {
      expectError(res, expected[0], expected[1]);
    } else {
      expect({ status: res.status, body: res.status >= 400 ? res.body : undefined }).toEqual({
        status: expected,
        body: undefined,
      });
    }
  });

  it('answers a message id that does not exist like one the caller cannot see', async () => {
    const [owner] = people;
    expectError(await http.get(`/api/v1/messages/${randomUUID()}`, t(owner)), 404, 'MESSAGE_NOT_FOUND');
    expectError(await http.get(`/api/v1/rooms/${randomUUID()}`, t(owner)), 404, 'ROOM_NOT_FOUND');
    expectError(await http.get(`/api/v1/rooms/${randomUUID()}/members`, t(owner)), 404, 'ROOM_NOT_FOUND');
  });

  it('refuses every route without a token', async () => {
    const f = await fixture();
    const calls: Array<Promise<HttpResult<any>>> = [
      http.get('/api/v1/rooms'),
      http.get(`/api/v1/rooms/${f.roomId}`),
      http.get(`/api/v1/rooms/${f.roomId}/messages`),
      http.post(`/api/v1/rooms/${f.roomId}/messages`, { clientMessageId: 'x', content: 'x' }),
      http.get(`/api/v1/messages/${f.memberMessageId}`),
      http.get(`/api/v1/messages/${f.memberMessageId}/versions`),
      http.get('/api/v1/messages/search?q=x'),
      http.put(`/api/v1/messages/${f.memberMessageId}/reactions/ok`),
    ];
    for (const res of await Promise.all(calls)) expectError(res, 401);
  });
});
